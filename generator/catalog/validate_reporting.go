package catalog

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

var readinessIDPattern = assertionNamePattern

// reporting validates the declarations behind the readiness, review,
// findings and sampling pages.
func (v *validator) reporting() {
	v.readiness()
	v.globField(&v.c.AccessReviews.Decisions, v.c.AccessReviews.Pos, "access_reviews.decisions")
	if id := &v.c.AccessReviews.Control; *id != "" && v.c.Control(*id) == nil {
		v.errf(v.at(id, v.c.AccessReviews.Pos), "access_reviews.control %q is not declared; %s", *id, v.controlHint(*id))
	}
	v.globField(&v.c.Findings.ActionPlans, v.c.Findings.Pos, "findings.action_plans")
	for i := range v.c.Findings.Classification {
		r := &v.c.Findings.Classification[i]
		label := fmt.Sprintf("findings.classification rule %d", i+1)
		enum(v, &r.Class, r.Pos, label, "class", DeficiencyClasses)
		for j := range r.Severities {
			enum(v, &r.Severities[j], r.Pos, label, "severity", Severities)
		}
		for j := range r.Outcomes {
			if o := r.Outcomes[j]; o != "fail" && o != "unknown" {
				v.errf(v.at(&r.Outcomes[j], r.Pos), "%s: outcome %q cannot be a finding; use fail or unknown", label, o)
			}
		}
	}
	for f := range v.c.Sampling.Sizes {
		n := v.c.Sampling.Sizes[f]
		if !slices.Contains(Frequencies, f) {
			v.errf(v.c.Sampling.Pos, "sampling.sizes: unknown frequency %q; use one of %s", f, quoteList(Frequencies))
		} else if n < 1 {
			v.errf(v.c.Sampling.Pos, "sampling.sizes.%s is %d; a sample has at least one record", f, n)
		}
	}
	for i := range v.c.Controls {
		ctl := &v.c.Controls[i]
		for j := range ctl.Compensating {
			id := &ctl.Compensating[j]
			if *id == ctl.ID {
				v.errf(v.at(id, ctl.Pos), "%s names itself as a compensating control; name another control", controlName(ctl))
			} else if v.c.Control(*id) == nil {
				v.errf(v.at(id, ctl.Pos), "%s: compensating control %q is not declared; %s", controlName(ctl), *id, v.controlHint(*id))
			}
		}
		if ctl.Population != nil {
			v.population(ctl)
		}
	}
}

func (v *validator) globField(s *string, parent Position, label string) {
	if *s == "" {
		return
	}
	if _, err := path.Match(*s, ""); err != nil || strings.HasPrefix(*s, "/") || strings.Contains(*s, "..") {
		v.errf(v.at(s, parent), "%s %q is not a glob relative to the config folder; write e.g. %q", label, *s, DefaultReviewDecisions)
	}
}

func (v *validator) controlHint(id string) string {
	ids := make([]string, len(v.c.Controls))
	for i, c := range v.c.Controls {
		ids[i] = c.ID
	}
	if s := didYouMean(id, ids); s != "" {
		return s
	}
	return "fix the control id"
}

func (v *validator) readiness() {
	seen := map[string]Position{}
	for i := range v.c.Readiness {
		sec := &v.c.Readiness[i]
		required(v, &sec.Section, sec.Pos, "readiness section", `name the heading, e.g. "Change management"`)
		if len(sec.Items) == 0 {
			v.errf(sec.Pos, "readiness section %q has no items; list the checklist lines under items:", sec.Section)
		}
		for j := range sec.Items {
			it := &sec.Items[j]
			label := "readiness item"
			if required(v, &it.ID, it.Pos, "readiness item id", `add id:, e.g. "prs-two-approvals"`) {
				label = fmt.Sprintf("readiness item %q", it.ID)
				at := v.at(&it.ID, it.Pos)
				if !readinessIDPattern.MatchString(it.ID) {
					v.errf(at, `readiness item id %q is not valid; use lower-case letters, digits, "_" and "-"`, it.ID)
				} else if p, dup := seen[it.ID]; dup {
					v.errf(at, "duplicate readiness item id %q (first declared at line %d)", it.ID, p.Line)
				} else {
					seen[it.ID] = at
				}
			}
			required(v, &it.Text, it.Pos, label+": text", "write the checklist line")
			if len(it.Controls) == 0 && it.Record == nil {
				v.errf(it.Pos, "%s is bound to nothing; add controls: [CONTROL or CONTROL/assertion] or record: {paths, cadence}", label)
			}
			for k := range it.Controls {
				v.readinessRef(&it.Controls[k], it.Pos, label)
			}
			if r := it.Record; r != nil {
				if len(r.Paths) == 0 {
					v.errf(v.at(r, it.Pos), "%s: record has no paths; list the record files, e.g. records/tabletop/*.md", label)
				}
				for k := range r.Paths {
					v.globField(&r.Paths[k], r.Pos, label+": record path")
				}
				enum(v, &r.Cadence, r.Pos, label+": record", "cadence", Frequencies)
			}
		}
	}
}

// readinessRef checks a "CONTROL" or "CONTROL/assertion" reference.
func (v *validator) readinessRef(ref *string, parent Position, label string) {
	id, assertion, _ := strings.Cut(*ref, "/")
	ctl := v.c.Control(id)
	at := v.at(ref, parent)
	if ctl == nil {
		v.errf(at, "%s names control %q, which is not declared; %s", label, id, v.controlHint(id))
		return
	}
	if assertion == "" {
		return
	}
	names := make([]string, len(ctl.Assertions))
	for i, a := range ctl.Assertions {
		if a.Name == assertion {
			return
		}
		names[i] = a.Name
	}
	hint := "fix the name"
	if s := didYouMean(assertion, names); s != "" {
		hint = s
	}
	v.errf(at, "%s names assertion %q, which control %s does not declare; %s", label, assertion, ctl.ID, hint)
}

func (v *validator) population(ctl *Control) {
	p := ctl.Population
	pos := v.at(p, ctl.Pos)
	name := controlName(ctl) + ": population"
	required(v, &p.Name, pos, name+" name", `say what one record is, plural, e.g. "merged pull requests"`)
	okExpr := required(v, &p.Expr, pos, name+" expr", "write a CEL expression over the evidence that gives the list of records")
	okKey := required(v, &p.Key, pos, name+" key", "write a CEL expression over r that identifies one record, e.g. r.repo + \"#\" + string(r.number)")
	for i := range p.Columns {
		c := &p.Columns[i]
		required(v, &c.Name, v.at(c, pos), name+" column name", "name the column")
		required(v, &c.Expr, v.at(c, pos), name+" column expr", "write a CEL expression over r")
	}
	if !okExpr || !okKey {
		return
	}
	env, err := NewEnv(evidenceIDs(ctl))
	if err != nil {
		return // reported by assertions
	}
	_, err = CompilePopulation(env, *p)
	var ce *CompileError
	if !errors.As(err, &ce) {
		if err != nil {
			v.errf(pos, "%s: %v", name, err)
		}
		return
	}
	fields := map[string]*string{"population.expr": &p.Expr, "population.key": &p.Key}
	for i := range p.Columns {
		fields["population.columns."+p.Columns[i].Name] = &p.Columns[i].Expr
	}
	for _, pr := range ce.Problems {
		v.errf(v.exprPos(fields[pr.Field], pos, pr), "%s %s: %s", controlName(ctl), pr.Field, pr.Msg)
	}
}

package findings

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect/file"
)

// PlanStatus is where management says its remediation stands.
type PlanStatus string

// Plan statuses. Implemented is management's claim that the fix is in; the
// finding stays open until a snapshot shows the control passing.
const (
	PlanOpen        PlanStatus = "open"
	PlanInProgress  PlanStatus = "in_progress"
	PlanImplemented PlanStatus = "implemented"
)

// PlanStatuses lists every status, in remediation order.
var PlanStatuses = []PlanStatus{PlanOpen, PlanInProgress, PlanImplemented}

// ActionPlan is management's response to a finding, as written in an
// action plan file of the config repository.
type ActionPlan struct {
	// File and Line locate the plan, for the page and for messages.
	File string
	Line int
	// Control is the finding's control; Assertion, when set, narrows the
	// plan to one of its assertions.
	Control, Assertion string
	// Response is management's response to the observation ("Management
	// agrees with the observation.").
	Response string
	// Cause is management's root-cause analysis; it becomes the finding's cause.
	Cause string
	// Owner is the accountable control owner; CoOwners share the plan
	// (e.g. the security co-owner).
	Owner    string
	CoOwners []string
	// Actions are the planned actions, in order.
	Actions []string
	// Target is the date by which the actions are to be complete.
	Target time.Time
	Status PlanStatus
	// Overdue is true when the target date has passed as of the snapshot
	// and the plan is not implemented.
	Overdue bool
}

// yamlErrLine picks the line out of a yaml.v3 syntax error, which has no column.
var yamlErrLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// planFields are the keys an action plan may have, in the order documented.
var planFields = []string{"control", "assertion", "response", "cause", "owner", "co_owners", "actions", "target_date", "status"}

// ParsePlans reads action plan files. A file holds one plan (a mapping with
// control:) or several (plans: a list of them), so a team can keep one file
// per finding, which lives until the finding closes, or one per quarter.
// A plan with a problem is left out and the problem returned as a
// file:line:col error, so one bad file does not hide the others.
func ParsePlans(files []file.Record, cat *catalog.Catalog, asOf time.Time) ([]ActionPlan, []*catalog.Error) {
	var plans []ActionPlan
	var errs []*catalog.Error
	for _, f := range files {
		p, e := parseFile(f, cat, asOf)
		plans = append(plans, p...)
		errs = append(errs, e...)
	}
	return plans, errs
}

type planParser struct {
	file string
	errs []*catalog.Error
}

func (pp *planParser) errf(n *yaml.Node, format string, args ...any) {
	e := &catalog.Error{File: pp.file, Line: 1, Col: 1, Msg: fmt.Sprintf(format, args...)}
	if n != nil && n.Line > 0 {
		e.Line, e.Col = n.Line, n.Column
	}
	pp.errs = append(pp.errs, e)
}

func parseFile(f file.Record, cat *catalog.Catalog, asOf time.Time) ([]ActionPlan, []*catalog.Error) {
	pp := &planParser{file: f.Path}
	if f.Truncated {
		// A truncated file would parse as a different, shorter plan.
		pp.errf(nil, "the file is larger than the collector keeps as text, so its plan cannot be read; split it into one file per finding")
		return nil, pp.errs
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(f.Text), &doc); err != nil {
		line, msg := 1, err.Error()
		if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		pp.errs = append(pp.errs, &catalog.Error{File: f.Path, Line: line, Col: 1, Msg: "not valid YAML: " + strings.TrimPrefix(msg, "yaml: ")})
		return nil, pp.errs
	}
	if len(doc.Content) == 0 {
		pp.errf(nil, "the file is empty; write an action plan (control, owner, actions, target_date, status)")
		return nil, pp.errs
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		pp.errf(root, "an action plan file is a mapping (control: …) or plans: [a list of them], not a %s", kindName(root))
		return nil, pp.errs
	}
	var out []ActionPlan
	if list := mapValue(root, "plans"); list != nil {
		if len(root.Content) > 2 {
			pp.errf(root, "a file with plans: holds nothing else; move the other keys into the plans")
		}
		if list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
			pp.errf(list, "plans: must be a non-empty list of action plans")
			return nil, pp.errs
		}
		for _, n := range list.Content {
			if p, ok := pp.plan(n, cat, asOf); ok {
				out = append(out, p)
			}
		}
		return out, pp.errs
	}
	if p, ok := pp.plan(root, cat, asOf); ok {
		out = append(out, p)
	}
	return out, pp.errs
}

// plan decodes one plan strictly: unknown keys, missing fields, bad dates
// and statuses, and controls the config does not declare are all errors.
func (pp *planParser) plan(n *yaml.Node, cat *catalog.Catalog, asOf time.Time) (ActionPlan, bool) {
	before := len(pp.errs)
	p := ActionPlan{File: pp.file, Line: n.Line}
	if n.Kind != yaml.MappingNode {
		pp.errf(n, "an action plan is a mapping with control, owner, actions, target_date and status, not a %s", kindName(n))
		return p, false
	}
	seen := map[string]bool{}
	var controlNode, assertionNode, targetKey, targetNode, statusNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			pp.errf(k, "%s: is written twice; keep one", k.Value)
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "control":
			controlNode = v
			p.Control = pp.scalar(k, v)
		case "assertion":
			assertionNode = v
			p.Assertion = pp.scalar(k, v)
		case "response":
			p.Response = pp.scalar(k, v)
		case "cause":
			p.Cause = pp.scalar(k, v)
		case "owner":
			p.Owner = pp.scalar(k, v)
		case "co_owners":
			p.CoOwners = pp.strings(k, v)
		case "actions":
			p.Actions = pp.strings(k, v)
		case "target_date":
			targetKey, targetNode = k, v
		case "status":
			statusNode = v
			p.Status = PlanStatus(pp.scalar(k, v))
		default:
			hint := ""
			if s := closest(k.Value, planFields); s != "" {
				hint = fmt.Sprintf(`did you mean %q? `, s)
			}
			pp.errf(k, "unknown field %q; %svalid fields: %s", k.Value, hint, strings.Join(planFields, ", "))
		}
	}
	// A field written but unusable has its own error already.
	pp.need(n, seen["control"], "control", "name the control the finding is about, e.g. control: CM-02")
	pp.need(n, seen["owner"], "owner", "name the accountable control owner")
	pp.need(n, seen["actions"], "actions", "list the planned actions")
	pp.need(n, seen["target_date"], "target_date", "give the date the actions are to be complete, as YYYY-MM-DD")
	pp.need(n, seen["status"], "status", "write status: open, in_progress or implemented")
	if seen["actions"] && len(p.Actions) == 0 && len(pp.errs) == before {
		pp.errf(n, "action plan lists no actions; list the planned actions")
	}
	if targetNode != nil {
		s := pp.scalar(targetKey, targetNode)
		t, err := time.Parse(time.DateOnly, s)
		if err != nil && s != "" {
			pp.errf(targetNode, "target_date %q is not a date; write it as YYYY-MM-DD", s)
		}
		p.Target = t
	}
	if statusNode != nil && !slices.Contains(PlanStatuses, p.Status) {
		pp.errf(statusNode, "status %q is not one of open, in_progress, implemented", p.Status)
	}
	if p.Control != "" && cat != nil {
		if c := cat.Control(p.Control); c == nil {
			pp.errf(controlNode, "control %q is not declared in controls.yaml; fix the control id", p.Control)
		} else if p.Assertion != "" && !hasAssertion(c, p.Assertion) {
			pp.errf(assertionNode, "control %s declares no assertion %q; fix the name or leave assertion out", c.ID, p.Assertion)
		}
	}
	if len(pp.errs) > before {
		return p, false
	}
	// A plan is overdue from the day after its target date.
	p.Overdue = p.Status != PlanImplemented && !asOf.Before(p.Target.AddDate(0, 0, 1))
	return p, true
}

func (pp *planParser) need(n *yaml.Node, ok bool, field, hint string) {
	if !ok {
		pp.errf(n, "action plan has no %s; %s", field, hint)
	}
}

// scalar reads a string value; an empty or non-scalar value is an error,
// since a plan field left blank says nothing.
func (pp *planParser) scalar(k, v *yaml.Node) string {
	if v.Kind != yaml.ScalarNode {
		pp.errf(v, "%s must be text, not a %s", k.Value, kindName(v))
		return ""
	}
	s := strings.TrimSpace(v.Value)
	if s == "" {
		pp.errf(v, "%s is empty", k.Value)
	}
	return s
}

func (pp *planParser) strings(k, v *yaml.Node) []string {
	if v.Kind != yaml.SequenceNode {
		pp.errf(v, "%s must be a list, not a %s", k.Value, kindName(v))
		return nil
	}
	var out []string
	for _, e := range v.Content {
		if s := pp.scalar(k, e); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "scalar"
}

func hasAssertion(c *catalog.Control, name string) bool {
	for _, a := range c.Assertions {
		if a.Name == name {
			return true
		}
	}
	return false
}

// closest is the field within two edits of s, for "did you mean".
func closest(s string, options []string) string {
	best, bestD := "", 3
	for _, o := range options {
		if d := editDistance(s, o); d < bestD {
			best, bestD = o, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

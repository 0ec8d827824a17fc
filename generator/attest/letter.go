package attest

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/evident-project/evident/generator/catalog"
)

// Letter is one attestation letter draft, modelled on the seed's sample
// letter: an opening, the figures by section, a conclusion and a signature
// block. Its opening and conclusion state effectiveness only when every
// figure is supported.
type Letter struct {
	// ID is "cfo" or "cio": the file name of the letter's pages.
	ID string
	// Role is the signing officer's role; Name their name, empty when the
	// config names no one (the signature block then leaves it blank).
	Role, Name string
	// Signatory is false when organization.signatories has no officer for
	// this letter's role.
	Signatory bool
	Org       string
	// Title and Subtitle head the letter ("SOX 404 IT General Controls
	// Attestation", "Q4 2026 — Payments platform").
	Title, Subtitle string
	Opening         string
	Sections        []LetterSection
	Conclusion      string
	// Supported is true when every statement is supported; Exceptions
	// counts those that are not, of Statements.
	Supported              bool
	Exceptions, Statements int
	// Notes are problems with the draft itself (no signatory configured).
	Notes []string
}

// LetterSection is one numbered section of a letter.
type LetterSection struct {
	Name    string
	Figures []Figure
}

// letterKind is what differs between the two letters: whose letter, which
// configured signatory signs it, and the scope the officer answers for.
type letterKind struct {
	id, role string
	// match picks the signatory from organization.signatories by role.
	match *regexp.Regexp
	scope func(system, org, role string) string
}

var letterKinds = []letterKind{
	{
		id: "cfo", role: "Chief Financial Officer",
		match: regexp.MustCompile(`(?i)\b(cfo|financ)`),
		scope: func(system, org, _ string) string {
			return fmt.Sprintf("the IT General Controls over the %s that support %s's financial reporting", system, org)
		},
	},
	{
		id: "cio", role: "Chief Information Officer",
		match: regexp.MustCompile(`(?i)\b(cio|information)`),
		scope: func(system, _, role string) string {
			return fmt.Sprintf("the IT General Controls over the %s for which I am responsible as %s", system, role)
		},
	},
}

func letters(in Input, a *Attestation) []Letter {
	var org catalog.Organization
	if in.Catalog != nil {
		org = in.Catalog.Organization
	}
	system := org.System
	if system == "" {
		system = org.Name + " systems"
	}
	var out []Letter
	for _, k := range letterKinds {
		l := Letter{ID: k.id, Role: k.role, Org: org.Name, Title: "SOX 404 IT General Controls Attestation",
			Subtitle: quarterLabel(a.Period) + " — " + system}
		for _, s := range org.Signatories {
			if k.match.MatchString(s.Role) {
				l.Role, l.Name, l.Signatory = s.Role, s.Name, true
				break
			}
		}
		if !l.Signatory {
			l.Notes = append(l.Notes, "organization.signatories in controls.yaml names no "+k.role+"; the signature block is left blank")
		}
		for _, sec := range Sections {
			ls := LetterSection{Name: sec}
			for _, f := range a.Figures {
				if f.Section == sec {
					ls.Figures = append(ls.Figures, f)
					l.Statements++
					if !f.Supported {
						l.Exceptions++
					}
				}
			}
			if len(ls.Figures) > 0 {
				l.Sections = append(l.Sections, ls)
			}
		}
		l.Supported = l.Exceptions == 0 && l.Statements > 0
		who := l.Name
		if who == "" {
			who = "[" + l.Role + "]"
		}
		quarter := "for the quarter ended " + longDate(a.PeriodLast)
		asOf := longDate(a.PeriodLast)
		if a.Open {
			quarter = fmt.Sprintf("for the quarter ending %s (evidence as of %s; the quarter has not ended)", longDate(a.PeriodLast), longDate(a.AsOf))
			asOf = longDate(a.AsOf)
		}
		scope := k.scope(system, org.Name, l.Role)
		if l.Supported {
			l.Opening = fmt.Sprintf("I, %s, %s, certify that %s, %s have been maintained effectively in compliance with Sarbanes-Oxley Act Section 404, as the evidence below shows:", who, l.Role, quarter, scope)
			l.Conclusion = fmt.Sprintf("Based on my review of the evidence referenced above, I conclude that %s were operating effectively as of %s.", scope, asOf)
		} else {
			l.Opening = fmt.Sprintf("I, %s, %s, report on %s %s. The evidence does not support %d of the %d statements below; each is marked as an exception with its reason:", who, l.Role, scope, quarter, l.Exceptions, l.Statements)
			l.Conclusion = fmt.Sprintf("The evidence does not support a conclusion that %s were operating effectively as of %s: %d of %d statements above are exceptions. Each must be remediated, or disclosed with management's assessment of its severity, before this letter is signed.", scope, asOf, l.Exceptions, l.Statements)
		}
		out = append(out, l)
	}
	return out
}

var quarterID = regexp.MustCompile(`^(\d{4})-Q([1-4])$`)

// quarterLabel turns "2026-Q4" into "Q4 2026", as the seed's letter heads it.
func quarterLabel(id string) string {
	if m := quarterID.FindStringSubmatch(id); m != nil {
		return "Q" + m[2] + " " + m[1]
	}
	return id
}

// longDate turns "2026-12-31" into "December 31, 2026".
func longDate(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.Format("January 2, 2006")
}

// String is the letter's figure lines as plain text, for logs and tests.
func (l Letter) String() string {
	var b strings.Builder
	for _, s := range l.Sections {
		fmt.Fprintf(&b, "%s\n", s.Name)
		for _, f := range s.Figures {
			mark := "supported"
			if !f.Supported {
				mark = "EXCEPTION: " + f.Exception
			}
			fmt.Fprintf(&b, "- %s [%s]\n", f.Text, mark)
		}
	}
	return b.String()
}

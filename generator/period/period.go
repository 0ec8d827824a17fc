// Package period cuts time into audit periods: fiscal quarters with a
// configurable fiscal-year start. A fiscal year is named by the calendar year
// it ends in, so with a July start, 2027-Q1 is July–September 2026.
package period

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Period is one fiscal quarter.
type Period struct {
	// ID is "YYYY-QN", the fiscal year and quarter.
	ID string `json:"id"`
	// FiscalYear is the fiscal year, named by the calendar year it ends in.
	FiscalYear int `json:"fiscal_year"`
	// Quarter is 1-4.
	Quarter int `json:"quarter"`
	// Start is the first instant of the period.
	Start time.Time `json:"start"`
	// End is the first instant after the period (exclusive).
	End time.Time `json:"end"`
}

// Model says how quarters are cut.
type Model struct {
	// FiscalYearStart is the month the fiscal year starts in (1-12); 0 means January.
	FiscalYearStart time.Month
	// Location is the time zone boundaries are cut in; nil means UTC.
	Location *time.Location
}

var idPattern = regexp.MustCompile(`^(\d{4})-Q([1-4])$`)

// Parse returns the period named id ("2026-Q4").
func (m Model) Parse(id string) (Period, error) {
	g := idPattern.FindStringSubmatch(id)
	if g == nil {
		return Period{}, fmt.Errorf("period %q: want YYYY-QN, e.g. 2026-Q4", id)
	}
	fy, _ := strconv.Atoi(g[1])
	q, _ := strconv.Atoi(g[2])
	return m.quarter(fy, q), nil
}

// Containing returns the period that contains t.
func (m Model) Containing(t time.Time) Period {
	t = t.In(m.loc())
	start := m.start()
	// Months since the start of the fiscal year that began in calendar year t.Year().
	offset := int(t.Month()) - int(start)
	fy := t.Year()
	if offset < 0 {
		offset += 12
	} else if start != time.January {
		fy++
	}
	return m.quarter(fy, offset/3+1)
}

// Previous returns the period before p.
func (m Model) Previous(p Period) Period {
	return m.Containing(p.Start.Add(-time.Nanosecond))
}

// Contains reports whether t falls inside p.
func (p Period) Contains(t time.Time) bool {
	return !t.Before(p.Start) && t.Before(p.End)
}

// LastDay is the last calendar day of the period, for display.
func (p Period) LastDay() time.Time {
	return p.End.Add(-time.Nanosecond)
}

func (m Model) quarter(fy, q int) Period {
	start := m.start()
	year := fy
	if start != time.January {
		year = fy - 1
	}
	first := time.Date(year, start+time.Month(3*(q-1)), 1, 0, 0, 0, 0, m.loc())
	return Period{
		ID:         fmt.Sprintf("%04d-Q%d", fy, q),
		FiscalYear: fy,
		Quarter:    q,
		Start:      first,
		End:        first.AddDate(0, 3, 0),
	}
}

func (m Model) start() time.Month {
	if m.FiscalYearStart < time.January || m.FiscalYearStart > time.December {
		return time.January
	}
	return m.FiscalYearStart
}

func (m Model) loc() *time.Location {
	if m.Location == nil {
		return time.UTC
	}
	return m.Location
}

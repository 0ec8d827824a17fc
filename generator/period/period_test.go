package period

import (
	"testing"
	"time"
)

func TestPeriods(t *testing.T) {
	cases := []struct {
		start time.Month
		at    string
		want  string
		from  string
		to    string
	}{
		{time.January, "2026-11-23T10:00:00Z", "2026-Q4", "2026-10-01", "2027-01-01"},
		{time.January, "2026-01-01T00:00:00Z", "2026-Q1", "2026-01-01", "2026-04-01"},
		{time.January, "2026-03-31T23:59:59Z", "2026-Q1", "2026-01-01", "2026-04-01"},
		{time.July, "2026-07-01T00:00:00Z", "2027-Q1", "2026-07-01", "2026-10-01"},
		{time.July, "2026-06-30T12:00:00Z", "2026-Q4", "2026-04-01", "2026-07-01"},
		{time.July, "2026-11-23T00:00:00Z", "2027-Q2", "2026-10-01", "2027-01-01"},
		{time.April, "2027-02-10T00:00:00Z", "2027-Q4", "2027-01-01", "2027-04-01"},
	}
	for _, c := range cases {
		m := Model{FiscalYearStart: c.start}
		at, _ := time.Parse(time.RFC3339, c.at)
		p := m.Containing(at)
		if p.ID != c.want || p.Start.Format("2006-01-02") != c.from || p.End.Format("2006-01-02") != c.to {
			t.Errorf("start %v at %s: got %s %s..%s, want %s %s..%s", c.start, c.at, p.ID, p.Start.Format("2006-01-02"), p.End.Format("2006-01-02"), c.want, c.from, c.to)
		}
		if !p.Contains(at) {
			t.Errorf("%s does not contain %s", p.ID, c.at)
		}
		q, err := m.Parse(c.want)
		if err != nil || q != p {
			t.Errorf("Parse(%s) = %+v, %v; want %+v", c.want, q, err, p)
		}
	}
	m := Model{FiscalYearStart: time.July}
	p, _ := m.Parse("2027-Q1")
	if prev := m.Previous(p); prev.ID != "2026-Q4" {
		t.Errorf("Previous(2027-Q1) = %s", prev.ID)
	}
	for _, bad := range []string{"2026Q4", "2026-Q5", "26-Q1", ""} {
		if _, err := m.Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

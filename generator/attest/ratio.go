package attest

import "fmt"

// Ratio is an exact share: N of Of. Figures keep the integers; the
// percentage is only ever a rendering of them.
type Ratio struct {
	N, Of int
}

// All reports whether the whole population is counted (and there is one).
func (r Ratio) All() bool { return r.Of > 0 && r.N == r.Of }

// String is "29 of 31".
func (r Ratio) String() string { return fmt.Sprintf("%d of %d", r.N, r.Of) }

// Percent renders the share with one decimal, computed in integers and
// rounded toward the nearer end only when that cannot overstate: a share
// below 100% never prints as 100.0%, and a share above 0% never prints as
// 0.0%, so the letter cannot round a gap away. "n/a" without a population.
func (r Ratio) Percent() string {
	if r.Of <= 0 {
		return "n/a"
	}
	// Tenths of a percent, rounded half up: (1000·N + Of/2) / Of.
	t := (1000*r.N + r.Of/2) / r.Of
	switch {
	case r.N < r.Of && t >= 1000:
		return ">99.9%"
	case r.N > 0 && t == 0:
		return "<0.1%"
	}
	return fmt.Sprintf("%d.%d%%", t/10, t%10)
}

package verify_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/evidence/verify"
)

func TestGaps(t *testing.T) {
	sched, err := catalog.ParseSchedule("0 6 1,16 * *")
	if err != nil {
		t.Fatal(err)
	}
	d := func(m time.Month, day, hour, min int) time.Time {
		return time.Date(2026, m, day, hour, min, 0, 0, time.UTC)
	}
	starts := []time.Time{
		d(7, 16, 6, 0),
		d(8, 1, 6, 40), // late but inside its slot: counts
		// 08-16 missed
		d(9, 1, 6, 0),
		d(9, 1, 7, 0), // a re-run does not fill another slot
		// 09-16 missed
		d(10, 1, 6, 0),
	}
	got := verify.Gaps(sched, starts, d(10, 20, 0, 0))
	want := []verify.Gap{
		{Due: d(8, 16, 6, 0), Until: d(9, 1, 6, 0)},
		{Due: d(9, 16, 6, 0), Until: d(10, 1, 6, 0)},
		// 10-16's slot runs until 11-01, after now: not yet missed.
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("gaps = %v, want %v", got, want)
	}
	// A run that stopped altogether: every slot since is missing.
	if got := verify.Gaps(sched, starts, d(11, 20, 0, 0)); len(got) != 4 {
		t.Fatalf("after the job stopped: %d gaps, want 4 (%v)", len(got), got)
	}
}

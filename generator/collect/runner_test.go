package collect

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/catalog"
)

// fake fails with the queued errors, then succeeds; it can also block.
type fake struct {
	name  string
	errs  []error
	calls atomic.Int32
	block bool
}

func (f *fake) Def() Def {
	return Def{Name: f.name, Version: "1", Title: "fake", Description: "fake"}
}

func (f *fake) Collect(ctx context.Context, _ Request) (*Result, error) {
	n := int(f.calls.Add(1)) - 1
	if f.block {
		<-ctx.Done()
		return nil, Errorf(KindCanceled, "fake", ctx.Err())
	}
	if n < len(f.errs) {
		return nil, f.errs[n]
	}
	return &Result{Data: n, Provenance: Provenance{Collector: f.name, Complete: true}}, nil
}

func TestRunner(t *testing.T) {
	flaky := &fake{name: "flaky", errs: []error{Errorf(KindTransient, "rate limited", nil), Errorf(KindTransient, "502", nil)}}
	denied := &fake{name: "denied", errs: []error{Errorf(KindPermission, "403", nil)}}
	slow := &fake{name: "slow", block: true}
	reg := NewRegistry()
	reg.Register(flaky)
	reg.Register(denied)
	reg.Register(slow)
	reg.Plan("github.pulls", "github")
	r := &Runner{Registry: reg, Timeout: 50 * time.Millisecond, Backoff: time.Millisecond, Retries: 2}
	tasks := []Task{{Collector: "flaky"}, {Collector: "denied"}, {Collector: "slow"}, {Collector: "github.pulls"}}
	out, err := r.Run(context.Background(), &catalog.Catalog{}, tasks, Request{})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Err != nil || out[0].Attempts != 3 || out[0].Result.Data != 2 {
		t.Errorf("flaky: %+v, want success on the third attempt", out[0])
	}
	if KindOf(out[1].Err) != KindPermission || out[1].Attempts != 1 {
		t.Errorf("denied: %+v, want one attempt and a permission error", out[1])
	}
	if KindOf(out[2].Err) != KindTransient || out[2].Attempts != 3 {
		t.Errorf("slow: %+v, want a timeout retried twice", out[2])
	}
	if KindOf(out[3].Err) != KindUnavailable || out[3].Err.Error() != "collector github.pulls not available" {
		t.Errorf("planned collector: %v", out[3].Err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	r.Timeout = time.Minute
	if _, err := r.Run(ctx, &catalog.Catalog{}, []Task{{Collector: "slow"}}, Request{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled run returned %v", err)
	}
}

func TestRegistryKnown(t *testing.T) {
	reg := NewRegistry()
	reg.Plan("x.y", "github")
	reg.Register(&fake{name: "x.y"})
	if kind, avail, known := reg.Known("x.y"); !avail || !known || kind != "" {
		t.Errorf("registered collector replaces its plan: %q %v %v", kind, avail, known)
	}
	if _, _, known := reg.Known("nope"); known {
		t.Error("unknown name reported known")
	}
}

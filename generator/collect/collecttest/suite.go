// Package collecttest is the contract every collector passes: valid metadata,
// deterministic output, honoured cancellation, typed errors and complete
// provenance. Each collector package runs it from its own tests.
package collecttest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/collect"
)

// Suite describes how to exercise one collector.
type Suite struct {
	// New returns a fresh collector.
	New func() collect.Collector
	// Request returns a request that must succeed with complete evidence.
	Request func(t *testing.T) collect.Request
	// Failing returns requests that must fail, each with the error kind expected.
	Failing func(t *testing.T) map[collect.ErrorKind]collect.Request
}

// Run runs the contract.
func Run(t *testing.T, s Suite) {
	t.Helper()
	t.Run("def", func(t *testing.T) {
		if err := s.New().Def().Validate(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		req := s.Request(t)
		a := mustCollect(t, s.New(), req)
		b := mustCollect(t, s.New(), req)
		ja, jb := marshal(t, a), marshal(t, b)
		if string(ja) != string(jb) {
			t.Fatalf("two collections of an unchanged source differ:\n%s\n---\n%s", ja, jb)
		}
	})
	t.Run("provenance", func(t *testing.T) {
		c := s.New()
		res := mustCollect(t, c, s.Request(t))
		p := res.Provenance
		d := c.Def()
		if p.Collector != d.Name || p.Version != d.Version {
			t.Errorf("provenance names %s %s, def is %s %s", p.Collector, p.Version, d.Name, d.Version)
		}
		if !p.Complete {
			t.Error("successful collection is not marked complete")
		}
		if len(p.Reads) == 0 {
			t.Error("provenance records no reads")
		}
		if p.Records == nil {
			t.Error("provenance records no record counts")
		}
		if p.Error != nil {
			t.Errorf("successful collection carries an error: %+v", p.Error)
		}
	})
	t.Run("canceled", func(t *testing.T) {
		req := s.Request(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		done := make(chan error, 1)
		go func() {
			_, err := s.New().Collect(ctx, req)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("collect with a canceled context succeeded")
			}
			if k := collect.KindOf(err); k != collect.KindCanceled {
				t.Fatalf("canceled collect returned kind %s: %v", k, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("collect ignored cancellation for 10s")
		}
	})
	t.Run("typed-errors", func(t *testing.T) {
		if s.Failing == nil {
			t.Fatal("suite declares no failing requests")
		}
		for want, req := range s.Failing(t) {
			_, err := s.New().Collect(context.Background(), req)
			if err == nil {
				t.Errorf("request expected to fail with %s succeeded", want)
				continue
			}
			var ce *collect.Error
			if !errors.As(err, &ce) {
				t.Errorf("error is not a *collect.Error: %T %v", err, err)
				continue
			}
			if ce.Kind != want {
				t.Errorf("error kind %s, want %s: %v", ce.Kind, want, err)
			}
		}
	})
}

func mustCollect(t *testing.T, c collect.Collector, req collect.Request) *collect.Result {
	t.Helper()
	res, err := c.Collect(context.Background(), req)
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	return res
}

func marshal(t *testing.T, r *collect.Result) []byte {
	t.Helper()
	b, err := json.Marshal(struct {
		Data       any
		Provenance collect.Provenance
	}{r.Data, r.Provenance})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

package github

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/evident-project/evident/generator/collect"
)

func TestForEachCanceledIsAnError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int64
	err := forEach(ctx, 2, 100, func(ctx context.Context, i int) error {
		if ran.Add(1) == 3 {
			cancel()
		}
		return nil // a worker that ignores ctx must not make the run look complete
	})
	if collect.KindOf(err) != collect.KindCanceled {
		t.Fatalf("err %v after cancellation", err)
	}
	if ran.Load() == 100 {
		t.Error("kept starting work after cancellation")
	}
	boom := errors.New("boom")
	if err := forEach(context.Background(), 3, 10, func(ctx context.Context, i int) error {
		if i == 4 {
			return boom
		}
		return nil
	}); !errors.Is(err, boom) {
		t.Errorf("err %v, want the worker's", err)
	}
	if err := forEach(context.Background(), 3, 0, nil); err != nil {
		t.Errorf("empty: %v", err)
	}
}

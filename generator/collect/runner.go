package collect

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/period"
)

// Task is one unit of collection: a collector over one source with one set
// of params. Controls that need the same evidence share one task.
type Task struct {
	Collector string
	SourceID  string
	Params    map[string]any
	// Path is where the evidence item will be stored.
	Path string
}

// PathFunc names the evidence file of a task; the evidence package owns the
// layout, the runner only needs a stable key.
type PathFunc func(collector, sourceID string, params map[string]any, periodID string) string

// Plan lists the tasks a catalog needs for a period, one per distinct
// evidence file, sorted by path.
func Plan(cat *catalog.Catalog, reg *Registry, p period.Period, path PathFunc) []Task {
	seen := map[string]bool{}
	var tasks []Task
	for _, c := range cat.Controls {
		if c.NotApplicable != "" {
			continue
		}
		for _, ev := range c.Evidence {
			kind, _, _ := reg.Known(ev.Collector)
			ids, _ := ev.Resolve(cat, kind)
			for _, id := range ids {
				t := Task{Collector: ev.Collector, SourceID: id, Params: ev.Params, Path: path(ev.Collector, id, ev.Params, p.ID)}
				if !seen[t.Path] {
					seen[t.Path] = true
					tasks = append(tasks, t)
				}
			}
		}
	}
	for _, in := range cat.RecordInputs() {
		t := Task{Collector: catalog.RecordCollector, Params: in.Params, Path: path(catalog.RecordCollector, "", in.Params, p.ID)}
		if !seen[t.Path] {
			seen[t.Path] = true
			tasks = append(tasks, t)
		}
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].Path < tasks[j].Path })
	return tasks
}

// Outcome is what one task produced.
type Outcome struct {
	Task     Task
	Result   *Result
	Err      error
	Attempts int
	Duration time.Duration
}

// Runner executes tasks with bounded parallelism, a per-task timeout and
// retries for transient errors.
type Runner struct {
	Registry    *Registry
	Parallelism int           // default 4
	Timeout     time.Duration // per attempt; default 5m
	Retries     int           // extra attempts for transient errors; 0 means 2, negative means none
	Backoff     time.Duration // first retry delay, doubled each time; default 1s
	// Progress, when set, is called after each task finishes (serially).
	Progress func(done, total int, o Outcome)
}

// Run executes every task. It returns an error only when ctx ends: a
// collector failure is evidence (recorded in the outcome), but an
// interrupted run must not be committed.
func (r *Runner) Run(ctx context.Context, cat *catalog.Catalog, tasks []Task, base Request) ([]Outcome, error) {
	par := r.Parallelism
	if par <= 0 {
		par = 4
	}
	out := make([]Outcome, len(tasks))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for i, t := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out[i] = Outcome{Task: t, Err: Errorf(KindCanceled, "collect "+t.Collector, ctx.Err())}
				return
			}
			defer func() { <-sem }()
			o := r.runOne(ctx, cat, t, base)
			out[i] = o
			if r.Progress != nil {
				mu.Lock()
				done++
				r.Progress(done, len(tasks), o)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("collect: interrupted: %w", err)
	}
	return out, nil
}

func (r *Runner) runOne(ctx context.Context, cat *catalog.Catalog, t Task, base Request) Outcome {
	start := time.Now()
	o := Outcome{Task: t}
	c, ok := r.Registry.Lookup(t.Collector)
	if !ok {
		o.Err = Errorf(KindUnavailable, fmt.Sprintf("collector %s not available", t.Collector), nil)
		return o
	}
	req := base
	req.Catalog = cat
	req.Params = t.Params
	req.SourceID = t.SourceID
	if t.SourceID != "" {
		req.Source, _ = cat.SourceByID(t.SourceID)
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	retries := r.Retries
	if retries < 0 {
		retries = 0
	} else if retries == 0 {
		retries = 2
	}
	backoff := r.Backoff
	if backoff <= 0 {
		backoff = time.Second
	}
	for attempt := 1; ; attempt++ {
		o.Attempts = attempt
		actx, cancel := context.WithTimeout(ctx, timeout)
		res, err := c.Collect(actx, req)
		timedOut := errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
		cancel()
		if err == nil {
			o.Result, o.Err = res, nil
			break
		}
		if timedOut {
			err = Errorf(KindTransient, fmt.Sprintf("collect %s: timed out after %s", t.Collector, timeout), err)
		}
		o.Err = err
		if KindOf(err) != KindTransient || attempt > retries || ctx.Err() != nil {
			break
		}
		select {
		case <-time.After(backoff << (attempt - 1)):
		case <-ctx.Done():
		}
	}
	o.Duration = time.Since(start)
	return o
}

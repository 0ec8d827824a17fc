package command

import (
	"context"
	"testing"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/collecttest"
)

func req(argv ...any) collect.Request {
	return collect.Request{BaseDir: ".", Params: map[string]any{"argv": argv}}
}

func TestContract(t *testing.T) {
	collecttest.Run(t, collecttest.Suite{
		New:     New,
		Request: func(t *testing.T) collect.Request { return req("sh", "-c", "echo '{\"ok\": true}'") },
		Failing: func(t *testing.T) map[collect.ErrorKind]collect.Request {
			slow := req("sleep", "5")
			slow.Params["timeout"] = "50ms"
			badJSON := req("echo", "not json")
			badJSON.Params["parse"] = "json"
			return map[collect.ErrorKind]collect.Request{
				collect.KindNotFound:  req("/nonexistent/evident-test-binary"),
				collect.KindTransient: slow,
				collect.KindInvalid:   badJSON,
			}
		},
	})
}

func TestExitCodeIsEvidence(t *testing.T) {
	r := req("sh", "-c", "echo '{\"failed\": 2}'; echo oops >&2; exit 3")
	r.Params["parse"] = "json"
	res, err := New().Collect(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	d := res.Data.(Data)
	if d.ExitCode != 3 || d.Stderr != "oops\n" {
		t.Errorf("exit %d stderr %q", d.ExitCode, d.Stderr)
	}
	if m, ok := d.Stdout.(map[string]any); !ok || m["failed"] != float64(2) {
		t.Errorf("stdout %#v", d.Stdout)
	}
	if !res.Provenance.Complete {
		t.Error("a non-zero exit is evidence, not an incomplete read")
	}
}

// Command eval is one full RBAC evaluation as an access review runs it,
// for bench/rbac to time under GNU time: read a stored inventory (JSON, as
// evidence holds it), aggregate, index, derive every subject's effective
// permissions and the privileged population, and write both as evidence
// JSON. It prints what it derived, one "key value" per line.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/evident-project/evident/generator/rbac"
)

func main() {
	in := flag.String("inventory", "", "inventory JSON file to evaluate")
	out := flag.String("out", "", "folder to write subjects.json and privileged.json into")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*in, *out); err != nil {
		log.Fatal("rbac eval: ", err)
	}
}

func run(in, out string) error {
	if in == "" || out == "" {
		return errors.New("-inventory and -out are required")
	}
	t0 := time.Now()
	data, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("read inventory: %w", err)
	}
	var inv rbac.Inventory
	if err := json.Unmarshal(data, &inv); err != nil {
		return fmt.Errorf("decode inventory %s: %w", in, err)
	}
	data = nil // the evaluator copies what it keeps; let the collector have it
	t1 := time.Now()
	rbac.Aggregate(&inv)
	t2 := time.Now()
	e := rbac.New(&inv)
	subjects := e.Subjects()
	p := e.Privileged()
	problems := e.Problems()
	t3 := time.Now()
	sb, err := writeList(out+"/subjects.json", subjects)
	if err != nil {
		return err
	}
	pb, err := write(out+"/privileged.json", p)
	if err != nil {
		return err
	}
	t4 := time.Now()

	perms := 0
	for _, s := range subjects {
		perms += len(s.Permissions)
	}
	holders := len(p.ClusterAdmin) + len(p.NamespaceAdmin) + len(p.SecretReaders) + len(p.EscalateBindImpersonate) + len(p.Exec) +
		len(p.NodeProxy) + len(p.RBACWriters) + len(p.AdmissionWriters) + len(p.CRDWriters) + len(p.CSRApprovers)
	fmt.Printf("subjects %d\npermissions %d\nholders %d\ncluster_admin %d\nsecret_readers %d\nproblems %d\nsubjects_bytes %d\nprivileged_bytes %d\n",
		len(subjects), perms, holders, len(p.ClusterAdmin), len(p.SecretReaders), len(problems), sb, pb)
	fmt.Printf("decode_us %d\naggregate_us %d\nevaluate_us %d\nencode_us %d\n",
		t1.Sub(t0).Microseconds(), t2.Sub(t1).Microseconds(), t3.Sub(t2).Microseconds(), t4.Sub(t3).Microseconds())
	return nil
}

// write stores v as evidence JSON (2-space indent, trailing newline) and
// returns its size.
func write(path string, v any) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		f.Close()
		return 0, fmt.Errorf("encode %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	return st.Size(), f.Close()
}

// writeList stores a list as evidence JSON, the same bytes as write, one
// element at a time: encoding/json would otherwise hold the whole document,
// twice over with indentation, which is the encoder's memory, not the
// evaluator's.
func writeList[T any](path string, list []T) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	if len(list) == 0 {
		w.WriteString("[]\n")
	} else {
		w.WriteString("[\n")
		for i := range list {
			b, err := json.MarshalIndent(list[i], "  ", "  ")
			if err != nil {
				return 0, fmt.Errorf("encode %s: %w", path, err)
			}
			w.WriteString("  ")
			w.Write(b)
			if i < len(list)-1 {
				w.WriteString(",")
			}
			w.WriteString("\n")
		}
		w.WriteString("]\n")
	}
	if err := w.Flush(); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), f.Close()
}

package kube

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/rbac"
)

// Manifests is what a folder of manifests declares: the objects of the
// kinds the collectors read, and how they were found.
type Manifests struct {
	Objects
	// Reads are one per file read (Method "read") or kustomization folder
	// rendered (Method "kustomize build"), in walk order; Target is the
	// path as ParseManifests was given it, joined with the file's, Status
	// the sha256 of the bytes decoded, Count the documents.
	Reads []collect.Read
	// Documents counts the objects read, List items one by one.
	Documents int
	// Ignored counts the objects of kinds the collectors do not read, by
	// "<apiVersion> <kind>".
	Ignored map[string]int
	// Duplicates name objects declared more than once; the later
	// declaration is the one kept, as kubectl apply would leave it.
	Duplicates []string
}

// ManifestError is a manifest that cannot be read: bad YAML, a document
// without apiVersion or kind, an unknown kind in a group the collectors
// read, or a malformed object of a kind they read. Where is "file:line" of
// the document's first line, or the kustomization folder and the
// document's position in its output.
type ManifestError struct {
	Where string
	Err   error
}

func (e *ManifestError) Error() string { return e.Where + ": " + e.Err.Error() }

func (e *ManifestError) Unwrap() error { return e.Err }

// kustomizationNames are the file names that make a folder a kustomization,
// as kustomize looks for them.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// ParseManifests reads the manifests under dir (relative to baseDir unless
// absolute): every *.yaml, *.yml and *.json file, recursively, in lexical
// order, each possibly holding several YAML documents, as `kubectl apply
// -f dir --recursive` would. A folder holding a kustomization file is
// rendered with kustomize, as `kubectl apply -k` would, instead of being
// read file by file, and so is its whole subtree. Folders and files whose
// names begin with "." (.git, .github) are skipped. Names in reads and
// errors are dir joined with the file's path, never baseDir, so the same
// folder gives the same evidence wherever it is checked out.
func ParseManifests(ctx context.Context, baseDir, dir string) (*Manifests, error) {
	root := dir
	if !filepath.IsAbs(root) {
		root = filepath.Join(baseDir, dir)
	}
	p := &parser{m: &Manifests{Ignored: map[string]int{}}, seen: map[string]string{}}
	info, err := os.Stat(root)
	if err != nil {
		return nil, declared(err, dir)
	}
	display := func(full string) string {
		rel, err := filepath.Rel(root, full)
		if err != nil || rel == "." {
			return filepath.ToSlash(filepath.Clean(dir))
		}
		return path.Join(filepath.ToSlash(filepath.Clean(dir)), filepath.ToSlash(rel))
	}
	if !info.IsDir() {
		return p.m, p.file(root, display(root))
	}
	err = filepath.WalkDir(root, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			return declared(err, display(full))
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		hidden := full != root && strings.HasPrefix(d.Name(), ".")
		if d.IsDir() {
			if hidden {
				return filepath.SkipDir
			}
			if kustomizationIn(full) != "" {
				if err := p.kustomize(full, display(full)); err != nil {
					return err
				}
				return filepath.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(full)) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		if hidden || !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		return p.file(full, display(full))
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(p.m.Duplicates)
	return p.m, nil
}

// declared makes a path error name the path as declared, not where the
// config happens to be checked out.
func declared(err error, name string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: name, Err: pe.Err}
	}
	return err
}

func kustomizationIn(dir string) string {
	for _, n := range kustomizationNames {
		if fi, err := os.Stat(filepath.Join(dir, n)); err == nil && !fi.IsDir() {
			return n
		}
	}
	return ""
}

type parser struct {
	m *Manifests
	// seen maps an object's kind/namespace/name to where it was declared.
	seen map[string]string
}

// file reads one manifest file.
func (p *parser) file(full, name string) error {
	b, err := os.ReadFile(full)
	if err != nil {
		return declared(err, name)
	}
	var docs []document
	if strings.EqualFold(filepath.Ext(full), ".json") {
		docs = jsonDocument(b)
	} else {
		docs = splitDocuments(b)
	}
	for _, d := range docs {
		if err := p.document(d.data, fmt.Sprintf("%s:%d", name, d.line)); err != nil {
			return err
		}
	}
	p.m.Reads = append(p.m.Reads, collect.Read{Method: "read", Target: name, Status: "sha256:" + sha256Hex(b), Count: len(docs)})
	return nil
}

// kustomize renders a kustomization folder in-process with kustomize's
// krusty, which is what kubectl kustomize embeds: no plugins, no helm, no
// files outside the folder; remote bases are refused before it runs,
// because collecting evidence from a folder must not fetch from the
// network.
func (p *parser) kustomize(dir, name string) error {
	if err := refuseRemote(dir, name, map[string]bool{}); err != nil {
		return err
	}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	res, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return &ManifestError{Where: name, Err: fmt.Errorf("kustomize build: %w", relativeErr(err, dir, name))}
	}
	out, err := res.AsYaml()
	if err != nil {
		return &ManifestError{Where: name, Err: fmt.Errorf("kustomize build: %w", err)}
	}
	docs := splitDocuments(out)
	for i, d := range docs {
		if err := p.document(d.data, fmt.Sprintf("%s (kustomize build) document %d", name, i+1)); err != nil {
			return err
		}
	}
	p.m.Reads = append(p.m.Reads, collect.Read{Method: "kustomize build", Target: name, Status: "sha256:" + sha256Hex(out), Count: len(docs)})
	return nil
}

// relativeErr rewrites kustomize's absolute paths in err to the declared
// folder name, so a failure records the same evidence on every checkout.
func relativeErr(err error, dir, name string) error {
	msg := err.Error()
	if !strings.Contains(msg, dir) {
		return err
	}
	return errors.New(strings.ReplaceAll(msg, dir, name))
}

// refuseRemote walks the kustomization in dir and the local folders it
// names, failing on any resource, base or component that is a URL.
func refuseRemote(dir, name string, visited map[string]bool) error {
	if visited[dir] {
		return nil
	}
	visited[dir] = true
	kf := kustomizationIn(dir)
	if kf == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(dir, kf))
	if err != nil {
		return declared(err, path.Join(name, kf))
	}
	var k struct {
		Resources  []string `json:"resources"`
		Bases      []string `json:"bases"`
		Components []string `json:"components"`
	}
	if err := yaml.Unmarshal(b, &k); err != nil {
		return &ManifestError{Where: path.Join(name, kf), Err: err}
	}
	for _, r := range append(append(k.Resources, k.Bases...), k.Components...) {
		if remote(r) {
			return &ManifestError{Where: path.Join(name, kf), Err: fmt.Errorf("resource %q is remote: evidence is read from the folder only, so vendor it into the repository", r)}
		}
		sub := filepath.Join(dir, filepath.FromSlash(r))
		if fi, err := os.Stat(sub); err == nil && fi.IsDir() {
			if err := refuseRemote(sub, path.Join(name, r), visited); err != nil {
				return err
			}
		}
	}
	return nil
}

func remote(r string) bool {
	return strings.Contains(r, "://") || strings.HasPrefix(r, "git@") || strings.Contains(r, "?ref=") ||
		strings.HasPrefix(r, "github.com/") || strings.HasPrefix(r, "gitlab.com/") || strings.HasPrefix(r, "bitbucket.org/")
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// document is one YAML document and the line its content starts on.
type document struct {
	line int
	data []byte
}

// splitDocuments splits a multi-document YAML stream as kubectl's YAML
// reader does: a line starting with "---" followed by nothing or a comment
// separates documents. Documents holding only comments and blank lines are
// dropped, as kubectl drops them. A document's line is its first line that
// is neither blank nor a comment, so an error points at its content rather
// than at a Helm "# Source:" header.
func splitDocuments(b []byte) []document {
	var docs []document
	var cur bytes.Buffer
	first := 0
	flush := func() {
		if first > 0 {
			docs = append(docs, document{line: first, data: bytes.Clone(cur.Bytes())})
		}
		cur.Reset()
		first = 0
	}
	for i, line := range bytes.SplitAfter(b, []byte("\n")) {
		text := strings.TrimRight(string(line), "\r\n")
		if rest, ok := strings.CutPrefix(text, "---"); ok {
			if r := strings.TrimSpace(rest); r == "" || strings.HasPrefix(r, "#") {
				flush()
				continue
			}
		}
		if t := strings.TrimSpace(text); first == 0 && t != "" && !strings.HasPrefix(t, "#") {
			first = i + 1
		}
		cur.Write(line)
	}
	flush()
	return docs
}

// jsonDocument is a JSON file as one document.
func jsonDocument(b []byte) []document {
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) > 0 {
			return []document{{line: i + 1, data: b}}
		}
	}
	return nil
}

// document decodes one document strictly: duplicate keys are errors, as
// the kube-apiserver's strict field validation (kubectl's default) makes
// them.
func (p *parser) document(data []byte, where string) error {
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return &ManifestError{Where: where, Err: fmt.Errorf("bad YAML: %w", err)}
	}
	if bytes.Equal(bytes.TrimSpace(j), []byte("null")) {
		return nil
	}
	var obj map[string]any
	if err := utiljson.Unmarshal(j, &obj); err != nil {
		return &ManifestError{Where: where, Err: errors.New("document is not an object (a Kubernetes manifest has apiVersion, kind and metadata)")}
	}
	return p.object(obj, where)
}

// Groups whose kinds the collectors read: an unknown kind in one of them
// is an error, since it is most likely a typo that would hide an object.
const (
	groupRBAC      = "rbac.authorization.k8s.io"
	groupAdmission = "admissionregistration.k8s.io"
	groupCRD       = "apiextensions.k8s.io"
)

func (p *parser) object(u map[string]any, where string) error {
	apiVersion, _ := u["apiVersion"].(string)
	kind, _ := u["kind"].(string)
	if apiVersion == "" || kind == "" {
		return &ManifestError{Where: where, Err: errors.New("document has no apiVersion or kind")}
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return &ManifestError{Where: where, Err: err}
	}
	read := gv.Group == groupRBAC || gv.Group == groupAdmission || gv.Group == groupCRD
	if kind == "List" || read && strings.HasSuffix(kind, "List") {
		return p.list(u, gv, kind, where)
	}
	p.m.Documents++
	switch gv.Group {
	case groupRBAC:
		if gv.Version != "v1" {
			return notServed(where, gv, kind)
		}
		switch kind {
		case "ClusterRole":
			return decode(p, u, where, &rbacv1.ClusterRole{}, func(o *rbacv1.ClusterRole) error {
				if err := validRules(o.Rules, false); err != nil {
					return err
				}
				if err := validAggregation(o.AggregationRule); err != nil {
					return err
				}
				o.Namespace = ""
				p.m.ClusterRoles = add(p, p.m.ClusterRoles, *o, kind, "", o.Name, where)
				return nil
			})
		case "Role":
			return decode(p, u, where, &rbacv1.Role{}, func(o *rbacv1.Role) error {
				if err := validRules(o.Rules, true); err != nil {
					return err
				}
				o.Namespace = defaultNamespace(o.Namespace)
				p.m.Roles = add(p, p.m.Roles, *o, kind, o.Namespace, o.Name, where)
				return nil
			})
		case "ClusterRoleBinding":
			return decode(p, u, where, &rbacv1.ClusterRoleBinding{}, func(o *rbacv1.ClusterRoleBinding) error {
				if err := validBinding(o.RoleRef, o.Subjects, false); err != nil {
					return err
				}
				o.Namespace = ""
				p.m.ClusterRoleBindings = add(p, p.m.ClusterRoleBindings, *o, kind, "", o.Name, where)
				return nil
			})
		case "RoleBinding":
			return decode(p, u, where, &rbacv1.RoleBinding{}, func(o *rbacv1.RoleBinding) error {
				if err := validBinding(o.RoleRef, o.Subjects, true); err != nil {
					return err
				}
				o.Namespace = defaultNamespace(o.Namespace)
				p.m.RoleBindings = add(p, p.m.RoleBindings, *o, kind, o.Namespace, o.Name, where)
				return nil
			})
		}
		return unknownKind(where, gv, kind)
	case groupAdmission:
		switch kind {
		case "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding":
			// Served, but not summarised (yet): counted, and named in a note.
			p.m.Ignored[apiVersion+" "+kind]++
			return nil
		}
		if gv.Version != "v1" {
			return notServed(where, gv, kind)
		}
		switch kind {
		case "ValidatingWebhookConfiguration":
			return decode(p, u, where, &admissionregistrationv1.ValidatingWebhookConfiguration{}, func(o *admissionregistrationv1.ValidatingWebhookConfiguration) error {
				o.Namespace = ""
				p.m.ValidatingWebhookConfigurations = add(p, p.m.ValidatingWebhookConfigurations, *o, kind, "", o.Name, where)
				return nil
			})
		case "MutatingWebhookConfiguration":
			return decode(p, u, where, &admissionregistrationv1.MutatingWebhookConfiguration{}, func(o *admissionregistrationv1.MutatingWebhookConfiguration) error {
				o.Namespace = ""
				p.m.MutatingWebhookConfigurations = add(p, p.m.MutatingWebhookConfigurations, *o, kind, "", o.Name, where)
				return nil
			})
		case "ValidatingAdmissionPolicy":
			return decode(p, u, where, &admissionregistrationv1.ValidatingAdmissionPolicy{}, func(o *admissionregistrationv1.ValidatingAdmissionPolicy) error {
				o.Namespace = ""
				p.m.ValidatingAdmissionPolicies = add(p, p.m.ValidatingAdmissionPolicies, *o, kind, "", o.Name, where)
				return nil
			})
		case "ValidatingAdmissionPolicyBinding":
			return decode(p, u, where, &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}, func(o *admissionregistrationv1.ValidatingAdmissionPolicyBinding) error {
				if o.Spec.PolicyName == "" {
					return errors.New("spec.policyName is required")
				}
				o.Namespace = ""
				p.m.ValidatingAdmissionPolicyBindings = add(p, p.m.ValidatingAdmissionPolicyBindings, *o, kind, "", o.Name, where)
				return nil
			})
		}
		return unknownKind(where, gv, kind)
	case groupCRD:
		if kind != "CustomResourceDefinition" {
			return unknownKind(where, gv, kind)
		}
		if gv.Version != "v1" {
			return notServed(where, gv, kind)
		}
		return p.crd(u, where)
	case "":
		if gv.Version != "v1" {
			break
		}
		switch kind {
		case "ServiceAccount":
			return decode(p, u, where, &corev1.ServiceAccount{}, func(o *corev1.ServiceAccount) error {
				o.Namespace = defaultNamespace(o.Namespace)
				p.m.ServiceAccounts = add(p, p.m.ServiceAccounts, *o, kind, o.Namespace, o.Name, where)
				return nil
			})
		case "Namespace":
			return decode(p, u, where, &corev1.Namespace{}, func(o *corev1.Namespace) error {
				o.Namespace = ""
				p.m.Namespaces = add(p, p.m.Namespaces, *o, kind, "", o.Name, where)
				return nil
			})
		}
	}
	p.m.Ignored[apiVersion+" "+kind]++
	return nil
}

// list reads a List's items, filling an item's missing apiVersion and kind
// from a typed list ("ClusterRoleList") as the API server's list would.
func (p *parser) list(u map[string]any, gv schema.GroupVersion, kind, where string) error {
	raw, ok := u["items"]
	if !ok || raw == nil {
		return nil
	}
	items, ok := raw.([]any)
	if !ok {
		return &ManifestError{Where: where, Err: fmt.Errorf("%s items is not a list", kind)}
	}
	for i, it := range items {
		obj, ok := it.(map[string]any)
		at := fmt.Sprintf("%s: item %d", where, i)
		if !ok {
			return &ManifestError{Where: at, Err: errors.New("item is not an object")}
		}
		if kind != "List" {
			if _, ok := obj["apiVersion"]; !ok {
				obj["apiVersion"] = gv.String()
			}
			if _, ok := obj["kind"]; !ok {
				obj["kind"] = strings.TrimSuffix(kind, "List")
			}
		}
		if err := p.object(obj, at); err != nil {
			return err
		}
	}
	return nil
}

// decode converts u into obj rejecting unknown fields (the API server's
// strict field validation), requires a name, and hands it to keep.
func decode[T any](p *parser, u map[string]any, where string, obj *T, keep func(*T) error) error {
	kind, _ := u["kind"].(string)
	name := metadataName(u)
	what := kind
	if name != "" {
		what = fmt.Sprintf("%s %q", kind, name)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u, obj, true); err != nil {
		return &ManifestError{Where: where, Err: fmt.Errorf("malformed %s: %w", what, err)}
	}
	if name == "" {
		return &ManifestError{Where: where, Err: fmt.Errorf("%s has no metadata.name", kind)}
	}
	if err := keep(obj); err != nil {
		return &ManifestError{Where: where, Err: fmt.Errorf("malformed %s: %w", what, err)}
	}
	return nil
}

func metadataName(u map[string]any) string {
	md, _ := u["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	return name
}

// add appends obj, remembering where it was declared; a second declaration
// of the same object replaces the first and is named in Duplicates.
func add[T any](p *parser, list []T, obj T, kind, ns, name, where string) []T {
	key := kind + "/" + ns + "/" + name
	if first, ok := p.seen[key]; ok {
		id := kind + "/" + name
		if ns != "" {
			id = kind + "/" + ns + "/" + name
		}
		p.m.Duplicates = append(p.m.Duplicates, fmt.Sprintf("%s is declared at %s and again at %s; the later declaration is used", id, first, where))
		idx := -1
		for i := range list {
			if objectKey(any(&list[i])) == ns+"/"+name {
				idx = i
			}
		}
		if idx >= 0 {
			list[idx] = obj
			p.seen[key] = where
			return list
		}
	}
	p.seen[key] = where
	return append(list, obj)
}

// objectKey is namespace/name of a pointer to an API object.
func objectKey(o any) string {
	if m, ok := o.(interface {
		GetNamespace() string
		GetName() string
	}); ok {
		return m.GetNamespace() + "/" + m.GetName()
	}
	return ""
}

// defaultNamespace is where kubectl apply puts a namespaced object that
// names none (without -n, in a context without a namespace).
func defaultNamespace(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

func notServed(where string, gv schema.GroupVersion, kind string) error {
	return &ManifestError{Where: where, Err: fmt.Errorf("%s %s: Kubernetes v1.37 does not serve %s; use %s/v1", gv.String(), kind, gv.String(), gv.Group)}
}

func unknownKind(where string, gv schema.GroupVersion, kind string) error {
	return &ManifestError{Where: where, Err: fmt.Errorf("unknown kind %s in %s", kind, gv.String())}
}

// crd reads the resource a CustomResourceDefinition serves. Only the
// fields that name it are decoded, and leniently: a CRD's schema is large
// and free-form, and nothing about access depends on it.
func (p *parser) crd(u map[string]any, where string) error {
	var c struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Group string `json:"group"`
			Names struct {
				Plural string `json:"plural"`
				Kind   string `json:"kind"`
			} `json:"names"`
			Scope    string `json:"scope"`
			Versions []struct {
				Name   string `json:"name"`
				Served bool   `json:"served"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u, &c); err != nil {
		return &ManifestError{Where: where, Err: fmt.Errorf("malformed CustomResourceDefinition: %w", err)}
	}
	s := c.Spec
	switch {
	case c.Metadata.Name == "":
		return &ManifestError{Where: where, Err: errors.New("CustomResourceDefinition has no metadata.name")}
	case s.Group == "" || s.Names.Plural == "" || s.Names.Kind == "":
		return &ManifestError{Where: where, Err: fmt.Errorf("malformed CustomResourceDefinition %q: spec.group, spec.names.plural and spec.names.kind are required", c.Metadata.Name)}
	case s.Scope != "Namespaced" && s.Scope != "Cluster":
		return &ManifestError{Where: where, Err: fmt.Errorf("malformed CustomResourceDefinition %q: spec.scope is %q, want Namespaced or Cluster", c.Metadata.Name, s.Scope)}
	}
	served := false
	for _, v := range s.Versions {
		served = served || v.Served
	}
	if !served {
		return nil // discovery does not list it either
	}
	r := rbac.APIResource{Group: s.Group, Resource: s.Names.Plural, Kind: s.Names.Kind, Namespaced: s.Scope == "Namespaced"}
	key := "CustomResourceDefinition//" + s.Names.Plural + "." + s.Group
	if first, ok := p.seen[key]; ok {
		p.m.Duplicates = append(p.m.Duplicates, fmt.Sprintf("CustomResourceDefinition/%s.%s is declared at %s and again at %s; the later declaration is used", s.Names.Plural, s.Group, first, where))
		for i := range p.m.CustomResources {
			if p.m.CustomResources[i].Group == r.Group && p.m.CustomResources[i].Resource == r.Resource {
				p.m.CustomResources[i] = r
			}
		}
		p.seen[key] = where
		return nil
	}
	p.seen[key] = where
	p.m.CustomResources = append(p.m.CustomResources, r)
	return nil
}

// validRules is the part of the API server's PolicyRule validation that
// decides what a rule means: without it a rule the cluster would reject
// would be evaluated as if it were there.
func validRules(rules []rbacv1.PolicyRule, namespaced bool) error {
	for i, r := range rules {
		switch {
		case len(r.Verbs) == 0:
			return fmt.Errorf("rules[%d]: verbs must contain at least one value", i)
		case len(r.NonResourceURLs) > 0 && namespaced:
			return fmt.Errorf("rules[%d]: nonResourceURLs are not allowed in a namespaced Role", i)
		case len(r.NonResourceURLs) > 0 && (len(r.APIGroups) > 0 || len(r.Resources) > 0 || len(r.ResourceNames) > 0):
			return fmt.Errorf("rules[%d]: a rule cannot have both nonResourceURLs and resources", i)
		case len(r.NonResourceURLs) == 0 && (len(r.APIGroups) == 0 || len(r.Resources) == 0):
			return fmt.Errorf("rules[%d]: resource rules must supply at least one apiGroup and one resource", i)
		}
	}
	return nil
}

// validAggregation is the API server's aggregationRule validation.
func validAggregation(a *rbacv1.AggregationRule) error {
	if a == nil {
		return nil
	}
	if len(a.ClusterRoleSelectors) == 0 {
		return errors.New("aggregationRule: at least one clusterRoleSelector is required")
	}
	for i := range a.ClusterRoleSelectors {
		if _, err := metav1.LabelSelectorAsSelector(&a.ClusterRoleSelectors[i]); err != nil {
			return fmt.Errorf("aggregationRule.clusterRoleSelectors[%d]: %w", i, err)
		}
	}
	return nil
}

// validBinding is the API server's RoleBinding and ClusterRoleBinding
// validation of roleRef and subjects.
func validBinding(ref rbacv1.RoleRef, subjects []rbacv1.Subject, namespaced bool) error {
	switch {
	case ref.APIGroup != groupRBAC && ref.APIGroup != "": // "" is defaulted
		return fmt.Errorf("roleRef.apiGroup is %q, want %s", ref.APIGroup, groupRBAC)
	case ref.Name == "":
		return errors.New("roleRef.name is required")
	case ref.Kind != "ClusterRole" && (!namespaced || ref.Kind != "Role"):
		if namespaced {
			return fmt.Errorf("roleRef.kind is %q, want Role or ClusterRole", ref.Kind)
		}
		return fmt.Errorf("roleRef.kind is %q, want ClusterRole", ref.Kind)
	}
	for i, s := range subjects {
		if s.Name == "" {
			return fmt.Errorf("subjects[%d]: name is required", i)
		}
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			if s.APIGroup != "" {
				return fmt.Errorf("subjects[%d]: apiGroup must be empty for a ServiceAccount", i)
			}
			if s.Namespace == "" && !namespaced {
				return fmt.Errorf("subjects[%d]: namespace is required for a ServiceAccount of a ClusterRoleBinding", i)
			}
		case rbacv1.UserKind, rbacv1.GroupKind:
			if s.APIGroup != groupRBAC && s.APIGroup != "" { // "" is defaulted
				return fmt.Errorf("subjects[%d]: apiGroup must be %s for a %s", i, groupRBAC, s.Kind)
			}
		default:
			return fmt.Errorf("subjects[%d]: kind is %q, want User, Group or ServiceAccount", i, s.Kind)
		}
	}
	return nil
}

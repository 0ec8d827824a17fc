package kubetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/yaml"
)

// Apply creates every object in docs, a stream of YAML (or JSON) documents
// as kubectl reads them, or replaces it if it exists. A namespaced object
// without a namespace goes to "default", and a namespace an object names is
// created first if it does not exist, so a manifest need not list its
// namespaces. Objects are applied in order and Apply stops at the first
// error, which names the document (its position, kind, namespace and name).
func Apply(ctx context.Context, cfg *rest.Config, docs []byte) error {
	objs, err := decodeDocs(docs)
	if err != nil {
		return err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("apply: discovery client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("apply: dynamic client: %w", err)
	}
	a := &applier{
		dyn:        dyn,
		mapper:     restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)),
		namespaces: map[string]bool{},
	}
	for _, d := range objs {
		if err := a.apply(ctx, d.obj); err != nil {
			return fmt.Errorf("apply %s (%s): %w", d.where, describe(d.obj), err)
		}
	}
	return nil
}

// doc is one object of the stream and where it was.
type doc struct {
	where string // "document 3", or "document 3 item 2" inside a List
	obj   *unstructured.Unstructured
}

// decodeDocs splits the stream, skipping empty documents (a lone comment,
// a trailing ---), and expands Lists into their items. Documents are
// numbered by their place in the stream, empty ones included, so the number
// in an error is the one a reader counting separators arrives at.
func decodeDocs(docs []byte) ([]doc, error) {
	var out []doc
	for i, raw := range splitDocs(docs) {
		where := fmt.Sprintf("document %d", i+1)
		js, err := yaml.YAMLToJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("apply: parse %s: %w", where, err)
		}
		if t := bytes.TrimSpace(js); len(t) == 0 || bytes.Equal(t, []byte("null")) {
			continue
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(js); err != nil {
			return nil, fmt.Errorf("apply: decode %s: %w", where, err)
		}
		if !obj.IsList() {
			out = append(out, doc{where: where, obj: obj})
			continue
		}
		list, err := obj.ToList()
		if err != nil {
			return nil, fmt.Errorf("apply: decode %s as a list: %w", where, err)
		}
		for j := range list.Items {
			out = append(out, doc{where: fmt.Sprintf("%s item %d", where, j+1), obj: &list.Items[j]})
		}
	}
	return out, nil
}

// splitDocs cuts a stream at its document markers ("---" lines). As in
// YAML, a marker with only comments and blank lines before it starts the
// first document instead of ending an empty one.
func splitDocs(b []byte) [][]byte {
	var docs [][]byte
	var cur []byte
	for line := range bytes.Lines(b) {
		content, marker := docMarker(line)
		if !marker {
			cur = append(cur, line...)
			continue
		}
		if len(docs) > 0 || !onlyComments(cur) {
			docs = append(docs, cur)
		}
		cur = content
	}
	return append(docs, cur)
}

// docMarker reports whether line is a document marker, and returns what
// follows the marker on the line ("--- {a: 1}"), which belongs to the new
// document.
func docMarker(line []byte) (content []byte, ok bool) {
	rest, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r\n"), []byte("---"))
	if !ok {
		return nil, false
	}
	if len(rest) == 0 {
		return nil, true
	}
	if rest[0] != ' ' && rest[0] != '\t' { // "----", "---x": not a marker
		return nil, false
	}
	rest = bytes.TrimSpace(rest)
	if len(rest) == 0 || rest[0] == '#' {
		return nil, true
	}
	return append(rest, '\n'), true
}

func onlyComments(b []byte) bool {
	for line := range bytes.Lines(b) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			return false
		}
	}
	return true
}

// describe names an object as the error for it should: kind ns/name.
func describe(obj *unstructured.Unstructured) string {
	name := obj.GetName()
	if ns := obj.GetNamespace(); ns != "" {
		name = ns + "/" + name
	}
	return obj.GetKind() + " " + name
}

type applier struct {
	dyn        dynamic.Interface
	mapper     *restmapper.DeferredDiscoveryRESTMapper
	namespaces map[string]bool // known to exist
}

func (a *applier) apply(ctx context.Context, obj *unstructured.Unstructured) error {
	gvk := obj.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		return errors.New("apiVersion and kind are required")
	}
	mapping, err := a.mapping(ctx, gvk)
	if err != nil {
		return err
	}
	var res dynamic.ResourceInterface = a.dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		if obj.GetNamespace() == "" {
			obj.SetNamespace(metav1.NamespaceDefault)
		}
		if err := a.ensureNamespace(ctx, obj.GetNamespace()); err != nil {
			return err
		}
		res = a.dyn.Resource(mapping.Resource).Namespace(obj.GetNamespace())
	}
	_, err = res.Create(ctx, obj, metav1.CreateOptions{FieldManager: "kubetest"})
	if err == nil {
		return nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create: %w", err)
	}
	// Replace, not merge: afterwards the object is what the document says,
	// as a test that applies a changed manifest expects.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := res.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if err != nil {
			return err
		}
		obj.SetResourceVersion(cur.GetResourceVersion())
		_, err = res.Update(ctx, obj, metav1.UpdateOptions{FieldManager: "kubetest"})
		return err
	})
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	return nil
}

// mapping finds the resource for a kind, refreshing discovery when the kind
// is unknown, because a CustomResourceDefinition applied earlier in the
// same stream takes a moment to be served.
func (a *applier) mapping(ctx context.Context, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	deadline := time.Now().Add(mappingWait)
	for {
		m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err == nil {
			return m, nil
		}
		if !meta.IsNoMatchError(err) || time.Now().After(deadline) {
			return nil, fmt.Errorf("find resource for %s: %w", gvk, err)
		}
		a.mapper.Reset()
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("find resource for %s: %w", gvk, context.Cause(ctx))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// mappingWait is how long mapping waits for an unknown kind to appear;
// a CRD is usually served within a second or two of its creation.
var mappingWait = 15 * time.Second

var namespaceGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

func (a *applier) ensureNamespace(ctx context.Context, name string) error {
	if a.namespaces[name] {
		return nil
	}
	// Get first: a config that may use a namespace but not create one
	// should still be able to apply into an existing namespace.
	_, err := a.dyn.Resource(namespaceGVR).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		ns := &unstructured.Unstructured{}
		ns.SetAPIVersion("v1")
		ns.SetKind("Namespace")
		ns.SetName(name)
		_, err = a.dyn.Resource(namespaceGVR).Create(ctx, ns, metav1.CreateOptions{FieldManager: "kubetest"})
		if apierrors.IsAlreadyExists(err) {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("ensure namespace %s: %w", name, err)
	}
	a.namespaces[name] = true
	return nil
}

package cosign

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// predicateKind says whether an in-toto predicate type is an SBOM (SPDX or
// CycloneDX, in any version) or SLSA build provenance (any version).
func predicateKind(pt string) (sbom, provenance bool) {
	switch {
	case strings.HasPrefix(pt, "https://slsa.dev/provenance/"):
		return false, true
	case strings.HasPrefix(pt, "https://spdx.dev/Document"), strings.HasPrefix(pt, "https://cyclonedx.org/bom"):
		return true, false
	}
	return false, false
}

// statementOfEnvelope decodes the in-toto statement inside a DSSE envelope;
// it returns zero values for anything that does not decode, since an
// unverified attestation's content is only a claim anyway.
func statementOfEnvelope(env []byte) (string, map[string]any) {
	var e struct {
		Payload string `json:"payload"`
	}
	if json.Unmarshal(env, &e) != nil {
		return "", nil
	}
	stmt, err := base64.StdEncoding.DecodeString(e.Payload)
	if err != nil {
		return "", nil
	}
	var st struct {
		PredicateType string         `json:"predicateType"`
		Predicate     map[string]any `json:"predicate"`
	}
	if json.Unmarshal(stmt, &st) != nil {
		return "", nil
	}
	return st.PredicateType, st.Predicate
}

// attestationOf records one attestation; builder and source are read only
// from verified provenance, never from an unverified claim.
func attestationOf(pt string, pred map[string]any, o outcome) Attestation {
	at := Attestation{PredicateType: pt, Status: o.status, Reason: o.reason}
	if _, prov := predicateKind(pt); prov && o.status == StatusVerified {
		at.BuilderID, at.SourceRepo = provenanceFields(pred)
	}
	return at
}

// provenanceFields reads the builder id and source repository of a SLSA
// provenance predicate: v1 (runDetails / buildDefinition, with GitHub's
// workflow.repository) or v0.2 (builder / invocation.configSource).
func provenanceFields(pred map[string]any) (builder, source string) {
	builder = str(pred, "runDetails", "builder", "id")
	if builder == "" {
		builder = str(pred, "builder", "id")
	}
	for _, p := range [][]string{
		{"buildDefinition", "externalParameters", "workflow", "repository"},
		{"buildDefinition", "externalParameters", "source", "uri"},
		{"invocation", "configSource", "uri"},
	} {
		if source = str(pred, p...); source != "" {
			return builder, source
		}
	}
	for _, key := range [][]string{{"buildDefinition", "resolvedDependencies"}, {"materials"}} {
		if list, ok := get(pred, key...).([]any); ok && len(list) > 0 {
			if m, ok := list[0].(map[string]any); ok {
				if s, ok := m["uri"].(string); ok {
					return builder, s
				}
			}
		}
	}
	return builder, ""
}

func get(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

func str(m map[string]any, keys ...string) string {
	s, _ := get(m, keys...).(string)
	return s
}

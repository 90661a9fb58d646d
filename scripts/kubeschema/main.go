// Command kubeschema turns the Kubernetes OpenAPI v2 document (api/openapi-spec/swagger.json of
// the k8s.io/kubernetes module) into the standalone, strict JSON schemas kubeconform reads, one
// file per kind named <kind>[-<group>]-<version>.json, so CI validates k8s/ without network
// access to a schema registry.
//
// Standalone: every $ref is inlined (a recursive reference becomes an open schema). Strict:
// every object with declared properties refuses others. IntOrString and Quantity accept their
// YAML forms (a string or a number), as the API server does.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

type schema = map[string]any

func main() {
	in := flag.String("openapi", "", "swagger.json of the Kubernetes release to validate against")
	out := flag.String("out", "", "directory for the schemas (created)")
	flag.Parse()
	if *in == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: kubeschema -openapi swagger.json -out DIR")
		os.Exit(2)
	}
	n, err := convert(*in, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubeschema:", err)
		os.Exit(1)
	}
	fmt.Printf("kubeschema: %d schemas in %s\n", n, *out)
}

func convert(in, out string) (int, error) {
	b, err := os.ReadFile(in)
	if err != nil {
		return 0, err
	}
	var doc struct {
		Definitions map[string]schema `json:"definitions"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return 0, fmt.Errorf("%s: %w", in, err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, err
	}
	n := 0
	for name, def := range doc.Definitions {
		gvks, _ := def["x-kubernetes-group-version-kind"].([]any)
		if len(gvks) == 0 {
			continue
		}
		full := inline(doc.Definitions, def, map[string]bool{name: true})
		data, err := json.Marshal(full)
		if err != nil {
			return n, err
		}
		for _, g := range gvks {
			gvk, _ := g.(map[string]any)
			group, _ := gvk["group"].(string)
			version, _ := gvk["version"].(string)
			kind, _ := gvk["kind"].(string)
			file := strings.ToLower(kind)
			if group != "" {
				file += "-" + strings.ToLower(strings.Split(group, ".")[0])
			}
			file += "-" + strings.ToLower(version) + ".json"
			if err := os.WriteFile(filepath.Join(out, file), data, 0o644); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// inline returns s with references resolved, descriptions dropped and objects closed.
func inline(defs map[string]schema, s schema, seen map[string]bool) schema {
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/definitions/")
		if seen[name] {
			return schema{}
		}
		target, ok := defs[name]
		if !ok {
			return schema{}
		}
		seen[name] = true
		defer delete(seen, name)
		return inline(defs, target, seen)
	}
	switch s["format"] {
	case "int-or-string":
		return schema{"oneOf": []any{schema{"type": "string"}, schema{"type": "integer"}}}
	}
	if d, _ := s["description"].(string); strings.HasPrefix(d, "Quantity is a fixed-point") {
		return schema{"oneOf": []any{schema{"type": "string"}, schema{"type": "number"}}}
	}
	r := schema{}
	for k, v := range s {
		switch k {
		case "description", "x-kubernetes-group-version-kind", "x-kubernetes-patch-merge-key",
			"x-kubernetes-patch-strategy", "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
			"x-kubernetes-map-type", "x-kubernetes-unions":
			continue
		case "properties":
			props := schema{}
			for pk, pv := range v.(map[string]any) {
				props[pk] = inline(defs, pv.(map[string]any), seen)
			}
			r[k] = props
		case "items", "additionalProperties":
			if m, ok := v.(map[string]any); ok {
				r[k] = inline(defs, m, seen)
			} else {
				r[k] = v
			}
		case "allOf", "anyOf", "oneOf":
			var list []any
			for _, e := range v.([]any) {
				list = append(list, inline(defs, e.(map[string]any), seen))
			}
			r[k] = list
		default:
			r[k] = v
		}
	}
	if _, ok := r["properties"]; ok {
		if _, set := r["additionalProperties"]; !set {
			r["additionalProperties"] = false
		}
	}
	return r
}

// Package schemaindex indexes a provider schema document (the JSON of
// `terraform providers schema -json`): where, in the file, the provider's
// own schema and each resource, data source and ephemeral type's schema
// lie. The replica provider reads only the types it serves at the offsets
// the index gives; tfreplica writes the index beside the schema when it
// installs both. A package of its own, on the standard library alone, so
// that the installer (which the targets import) need not import the
// provider server.
package schemaindex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Suffix names a schema's index: schema.json.index beside schema.json.
const Suffix = ".index"

// ProviderAddress is the provider whose entry is indexed when the document
// holds several (the replica's; provider.ProviderAddress).
const ProviderAddress = "registry.terraform.io/hashicorp/aws"

// Range is where a value lies in the schema document: [offset, length].
type Range [2]int64

// Index is the index of one schema document of Size bytes.
type Index struct {
	Size        int64            `json:"size"`
	Provider    Range            `json:"provider"`
	Resources   map[string]Range `json:"resource_schemas"`
	DataSources map[string]Range `json:"data_source_schemas"`
	Ephemeral   map[string]Range `json:"ephemeral_resource_schemas"`
}

// Build returns the index of schema document b, encoded (what Load reads).
func Build(b []byte) ([]byte, error) {
	idx, err := Locate(b)
	if err != nil {
		return nil, fmt.Errorf("index schema: %w", err)
	}
	return json.Marshal(idx)
}

// Locate returns the index of schema document b. It checks the document's
// format version and picks the provider entry as the replica serves it:
// ProviderAddress, or the only entry.
func Locate(b []byte) (*Index, error) {
	top, err := members(b, 0)
	if err != nil {
		return nil, err
	}
	var format string
	if r, ok := top["format_version"]; !ok || json.Unmarshal(slice(b, r), &format) != nil || !strings.HasPrefix(format, "1.") {
		return nil, fmt.Errorf("format_version %q, want 1.x", format)
	}
	r, ok := top["provider_schemas"]
	if !ok {
		return nil, fmt.Errorf("no provider_schemas")
	}
	providers, err := members(slice(b, r), r[0])
	if err != nil {
		return nil, fmt.Errorf("provider_schemas: %w", err)
	}
	r, ok = providers[ProviderAddress]
	if !ok && len(providers) == 1 {
		for _, v := range providers {
			r, ok = v, true
		}
	}
	if !ok {
		return nil, fmt.Errorf("no %s in provider_schemas", ProviderAddress)
	}
	p, err := members(slice(b, r), r[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ProviderAddress, err)
	}
	idx := &Index{Size: int64(len(b)), Provider: p["provider"]}
	for key, m := range map[string]*map[string]Range{"resource_schemas": &idx.Resources, "data_source_schemas": &idx.DataSources, "ephemeral_resource_schemas": &idx.Ephemeral} {
		*m = map[string]Range{}
		if r, ok := p[key]; ok {
			if *m, err = members(slice(b, r), r[0]); err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	return idx, nil
}

func slice(b []byte, r Range) []byte { return b[r[0] : r[0]+r[1]] }

// members returns where each member's value of the JSON object b lies,
// offsets counted from base.
func members(b []byte, base int64) (map[string]Range, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object (%v)", err)
	}
	out := map[string]Range{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		end := dec.InputOffset()
		start := end - int64(len(raw))
		// The decoder hands back the value's bytes as they are in b;
		// checked, since the index is only as good as these offsets.
		if start < 0 || !bytes.Equal(b[start:end], raw) {
			return nil, fmt.Errorf("member %v: value not found at its offset", t)
		}
		out[t.(string)] = Range{base + start, int64(len(raw))}
	}
	return out, nil
}

// Load reads the index of the schema at path (path + Suffix) and checks
// that it was made for that file. A missing index is an error wrapping
// fs.ErrNotExist; an index made for another file is an error too, not a
// reason to guess: the two are installed together.
func Load(path string) (*Index, error) {
	b, err := os.ReadFile(path + Suffix)
	if err != nil {
		return nil, err
	}
	var idx Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("schema index %s: %w", path+Suffix, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("schema index %s: %w", path+Suffix, err)
	}
	if fi.Size() != idx.Size {
		return nil, fmt.Errorf("schema index %s: made for a schema of %d bytes, %s has %d", path+Suffix, idx.Size, path, fi.Size())
	}
	return &idx, nil
}

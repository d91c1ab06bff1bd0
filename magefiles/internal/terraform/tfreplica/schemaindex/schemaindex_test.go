package schemaindex

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// A document laid out with spaces and newlines, as `providers schema -json`
// pretty-printed would be: the ranges must be the values' own bytes.
const doc = `{"format_version": "1.0",
  "provider_schemas": {
    "registry.terraform.io/hashicorp/aws": {
      "provider": {"block": {}},
      "resource_schemas": {
        "aws_a": {"block": {"attributes": {"x": {"type": "string", "optional": true}}}},
        "aws_b": {"version": 1, "block": {}}
      },
      "data_source_schemas": {"aws_region": {"block": {"attributes": {"name": {"type": "string", "computed": true}}}}}
    }
  }
}`

// at is where the literal value v lies in doc.
func at(t *testing.T, v string) Range {
	t.Helper()
	i := strings.Index(doc, v)
	if i < 0 || strings.Count(doc, v) != 1 {
		t.Fatalf("%q is not once in the document", v)
	}
	return Range{int64(i), int64(len(v))}
}

func TestBuild(t *testing.T) {
	b, err := Build([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var got Index
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := Index{
		Size:     int64(len(doc)),
		Provider: at(t, `{"block": {}}`),
		Resources: map[string]Range{
			"aws_a": at(t, `{"block": {"attributes": {"x": {"type": "string", "optional": true}}}}`),
			"aws_b": at(t, `{"version": 1, "block": {}}`),
		},
		DataSources: map[string]Range{"aws_region": at(t, `{"block": {"attributes": {"name": {"type": "string", "computed": true}}}}`)},
		Ephemeral:   map[string]Range{},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("index\n got %+v\nwant %+v", got, want)
	}
}

func TestBuildRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"not json":     `{`,
		"not object":   `[]`,
		"wrong format": `{"format_version":"2.0","provider_schemas":{}}`,
		"no schemas":   `{"format_version":"1.0"}`,
		"no aws":       `{"format_version":"1.0","provider_schemas":{"a":{},"b":{}}}`,
		"types array":  `{"format_version":"1.0","provider_schemas":{"registry.terraform.io/hashicorp/aws":{"resource_schemas":[]}}}`,
	} {
		if _, err := Build([]byte(doc)); err == nil {
			t.Errorf("%s: indexed", name)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "schema.json")
	if _, err := Load(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no index: %v, want fs.ErrNotExist", err)
	}
	idx, err := Build([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+Suffix, idx, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil || got.Resources["aws_b"] != at(t, `{"version": 1, "block": {}}`) {
		t.Errorf("Load = %+v, %v", got, err)
	}
	// The schema replaced without its index: refused, naming both sizes.
	if err := os.WriteFile(path, []byte(doc+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path)
	if err == nil || !strings.Contains(err.Error(), "made for a schema of ") || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("mismatched index: %v", err)
	}
}

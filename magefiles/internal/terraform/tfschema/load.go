package tfschema

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// Schema is a `terraform providers schema -json` document; it marshals to
// and from exactly that JSON.
type Schema struct {
	tfjson.ProviderSchemas
}

// Load reads a schema file written by Ensure (or by `terraform providers
// schema -json`).
func Load(path string) (*Schema, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load schema: %w", err)
	}
	var s Schema
	if err := json.Unmarshal(b, &s.ProviderSchemas); err != nil {
		return nil, fmt.Errorf("load schema %s: %w", path, err)
	}
	if s.AWS() == nil {
		return nil, fmt.Errorf("load schema %s: no %s provider in it", path, ProviderAddress)
	}
	return &s, nil
}

// AWS returns the hashicorp/aws provider's schemas (nil when absent).
func (s *Schema) AWS() *tfjson.ProviderSchema {
	return s.Schemas[ProviderAddress]
}

// Resource returns the schema of a resource type, or nil.
func (s *Schema) Resource(typ string) *tfjson.Schema {
	return s.AWS().ResourceSchemas[typ]
}

// DataSource returns the schema of a data source type, or nil.
func (s *Schema) DataSource(typ string) *tfjson.Schema {
	return s.AWS().DataSourceSchemas[typ]
}

// Subset returns a schema with the provider configuration and only the
// named types, for small fixtures. A plain name ("aws_s3_bucket") selects the
// resource, "data.aws_s3_bucket" the data source and "ephemeral.aws_…" the
// ephemeral resource. Unknown names are an error listing all of them.
func (s *Schema) Subset(types ...string) (*Schema, error) {
	src := s.AWS()
	if src == nil {
		return nil, fmt.Errorf("subset: no %s provider in schema", ProviderAddress)
	}
	dst := &tfjson.ProviderSchema{
		ConfigSchema:             src.ConfigSchema,
		ResourceSchemas:          map[string]*tfjson.Schema{},
		DataSourceSchemas:        map[string]*tfjson.Schema{},
		EphemeralResourceSchemas: map[string]*tfjson.Schema{},
	}
	var unknown []string
	for _, t := range types {
		from, into, name := src.ResourceSchemas, dst.ResourceSchemas, t
		if n, ok := strings.CutPrefix(t, "data."); ok {
			from, into, name = src.DataSourceSchemas, dst.DataSourceSchemas, n
		} else if n, ok := strings.CutPrefix(t, "ephemeral."); ok {
			from, into, name = src.EphemeralResourceSchemas, dst.EphemeralResourceSchemas, n
		}
		sch, ok := from[name]
		if !ok {
			unknown = append(unknown, t)
			continue
		}
		into[name] = sch
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("subset: unknown types %s", strings.Join(unknown, ", "))
	}
	return &Schema{tfjson.ProviderSchemas{
		FormatVersion: s.FormatVersion,
		Schemas:       map[string]*tfjson.ProviderSchema{ProviderAddress: dst},
	}}, nil
}

// MarshalJSON writes the schema as `terraform providers schema -json` does.
func (s *Schema) MarshalJSON() ([]byte, error) {
	return json.Marshal(&s.ProviderSchemas)
}

// WriteFile writes the schema as JSON to path.
func (s *Schema) WriteFile(path string) error {
	b, err := s.MarshalJSON()
	if err != nil {
		return fmt.Errorf("encode schema: %w", err)
	}
	return writeAtomic(path, b)
}

// Package provider is the schema replica of the hashicorp/aws provider: a
// provider server (protocol 6, terraform-plugin-go) that serves the real
// provider's schema. It accepts every configuration the schema accepts,
// plans computed attributes as unknown, "applies" with deterministic
// placeholders and renders the data sources that need no AWS for real
// (aws_iam_policy_document, aws_region, aws_caller_identity,
// aws_availability_zones, aws_partition). Package tfreplica builds and
// installs it; it imports nothing of the kit so that its binary (and the
// mirror keyed by it) changes only when the replica does.
package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/zclconf/go-cty/cty"

	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfreplica/schemaindex"
)

// ProviderAddress is the provider the replica stands in for.
const ProviderAddress = schemaindex.ProviderAddress

// Schema is the provider schema the replica serves, after the adjustments
// OpenTofu needs (see LoadSchema).
type Schema struct {
	Provider    *tfjson.Schema
	Resources   map[string]*tfjson.Schema
	DataSources map[string]*tfjson.Schema
	Ephemeral   map[string]*tfjson.Schema
}

// LoadSchema reads a schema in the shape of `terraform providers schema
// -json` and returns the hashicorp/aws entry (or the only entry). keep,
// when not nil, selects the resource, data source and ephemeral types to
// serve (see TypesEnv); then, if the schema has an index beside it
// (package schemaindex), only the selected types are read.
func LoadSchema(path string, keep func(name string) bool) (*Schema, error) {
	if keep != nil {
		s, err := loadIndexed(path, keep)
		if !errors.Is(err, fs.ErrNotExist) {
			return s, err
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	return ParseSchema(b, keep)
}

// loadIndexed reads the selected types at the offsets the schema's index
// gives instead of scanning the whole document (3 MB for hashicorp/aws:
// tens of milliseconds of CPU, and OpenTofu starts the provider for each
// run block of a test — about 900 times in a test run here) for the few
// dozen types a configuration uses.
func loadIndexed(path string, keep func(string) bool) (*Schema, error) {
	idx, err := schemaindex.Load(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	defer f.Close()
	return decodeIndexed(idx, keep, func(r schemaindex.Range) ([]byte, error) {
		buf := make([]byte, r[1])
		if _, err := f.ReadAt(buf, r[0]); err != nil {
			return nil, fmt.Errorf("read schema: %w", err)
		}
		return buf, nil
	})
}

// ParseSchema is LoadSchema on bytes.
func ParseSchema(b []byte, keep func(name string) bool) (*Schema, error) {
	idx, err := schemaindex.Locate(b)
	if err != nil {
		return nil, fmt.Errorf("parse schema: %w", err)
	}
	return decodeIndexed(idx, keep, func(r schemaindex.Range) ([]byte, error) { return b[r[0] : r[0]+r[1]], nil })
}

// decodeIndexed decodes the provider's schema and the types keep selects
// (all when nil), each read from where idx says it lies: decoding cty
// types is the bulk of a schema's load time, and usually few are used.
func decodeIndexed(idx *schemaindex.Index, keep func(string) bool, read func(schemaindex.Range) ([]byte, error)) (*Schema, error) {
	decode := func(name string, r schemaindex.Range, sch *tfjson.Schema) error {
		raw, err := read(r)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return decodeSchema(name, raw, sch)
	}
	s := &Schema{Provider: &tfjson.Schema{Block: &tfjson.SchemaBlock{}}}
	if idx.Provider[1] > 0 {
		if err := decode("provider", idx.Provider, s.Provider); err != nil {
			return nil, err
		}
	}
	for _, m := range []struct {
		from map[string]schemaindex.Range
		to   *map[string]*tfjson.Schema
	}{{idx.Resources, &s.Resources}, {idx.DataSources, &s.DataSources}, {idx.Ephemeral, &s.Ephemeral}} {
		*m.to = map[string]*tfjson.Schema{}
		for name, r := range m.from {
			if keep != nil && !keep(name) {
				continue
			}
			sch := &tfjson.Schema{}
			if err := decode(name, r, sch); err != nil {
				return nil, err
			}
			(*m.to)[name] = sch
		}
	}
	return s, nil
}

func decodeSchema(name string, raw []byte, sch *tfjson.Schema) error {
	if err := json.Unmarshal(raw, sch); err != nil {
		return fmt.Errorf("parse schema: %s: %w", name, err)
	}
	if sch.Block == nil {
		return fmt.Errorf("parse schema: %q has no block", name)
	}
	fixBlock(sch.Block, false)
	return nil
}

// TypesEnv names a file listing, one per line, the resource, data source
// and ephemeral types the replica serves (all when unset). The driver
// writes it from a scan of the configuration: served alone, the few dozen
// types a configuration uses make each provider start (one per `run` block
// of a test) take milliseconds instead of most of a second. A type missing
// from the list is reported exactly as a type missing from the provider.
const TypesEnv = "TFREPLICA_TYPES"

// KeepFromFile reads a TypesEnv file into a selector.
func KeepFromFile(path string) (func(string) bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", TypesEnv, err)
	}
	set := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			set[l] = true
		}
	}
	return func(name string) bool { return set[name] }, nil
}

// fixBlock adjusts a block in place so OpenTofu accepts it: OpenTofu rejects
// dynamically typed attributes anywhere inside a set (a set's elements must
// have one known type to be compared), so a set-nested block or set type
// that contains `dynamic` becomes a list. HCL syntax for list and set blocks
// is identical, so configurations are unaffected; only element order
// semantics differ, which a replica does not care about.
func fixBlock(b *tfjson.SchemaBlock, _ bool) {
	for _, a := range b.Attributes {
		fixAttribute(a)
	}
	for _, nb := range b.NestedBlocks {
		if nb.Block == nil {
			nb.Block = &tfjson.SchemaBlock{}
		}
		fixBlock(nb.Block, false)
		if nb.NestingMode == tfjson.SchemaNestingModeSet && blockHasDynamic(nb.Block) {
			nb.NestingMode = tfjson.SchemaNestingModeList
		}
	}
}

func fixAttribute(a *tfjson.SchemaAttribute) {
	if a.AttributeNestedType != nil {
		hasDyn := false
		for _, na := range a.AttributeNestedType.Attributes {
			fixAttribute(na)
			if attrHasDynamic(na) {
				hasDyn = true
			}
		}
		if a.AttributeNestedType.NestingMode == tfjson.SchemaNestingModeSet && hasDyn {
			a.AttributeNestedType.NestingMode = tfjson.SchemaNestingModeList
		}
		return
	}
	if a.AttributeType == cty.NilType {
		a.AttributeType = cty.DynamicPseudoType
	}
	a.AttributeType = fixType(a.AttributeType)
}

func fixType(t cty.Type) cty.Type {
	switch {
	case t.IsListType():
		return cty.List(fixType(t.ElementType()))
	case t.IsMapType():
		return cty.Map(fixType(t.ElementType()))
	case t.IsSetType():
		et := fixType(t.ElementType())
		if et.HasDynamicTypes() {
			return cty.List(et)
		}
		return cty.Set(et)
	case t.IsObjectType():
		at := map[string]cty.Type{}
		for k, v := range t.AttributeTypes() {
			at[k] = fixType(v)
		}
		var opt []string
		for k := range t.OptionalAttributes() {
			opt = append(opt, k)
		}
		if len(opt) > 0 {
			sort.Strings(opt)
			return cty.ObjectWithOptionalAttrs(at, opt)
		}
		return cty.Object(at)
	case t.IsTupleType():
		var et []cty.Type
		for _, e := range t.TupleElementTypes() {
			et = append(et, fixType(e))
		}
		return cty.Tuple(et)
	}
	return t
}

func blockHasDynamic(b *tfjson.SchemaBlock) bool {
	for _, a := range b.Attributes {
		if attrHasDynamic(a) {
			return true
		}
	}
	for _, nb := range b.NestedBlocks {
		if blockHasDynamic(nb.Block) {
			return true
		}
	}
	return false
}

func attrHasDynamic(a *tfjson.SchemaAttribute) bool {
	if a.AttributeNestedType != nil {
		for _, na := range a.AttributeNestedType.Attributes {
			if attrHasDynamic(na) {
				return true
			}
		}
		return false
	}
	return a.AttributeType.HasDynamicTypes()
}

// TFType converts a cty type to tftypes. With optional false, object types
// lose their optional-attribute markers: terraform-plugin-go panics when a
// value is built or decoded against an object type carrying them, so values
// are always handled with plain object types (OpenTofu fills omitted
// optional attributes with null before sending, so decoding still works).
// The schema sent to OpenTofu keeps the markers (optional true) so that
// configurations may omit those attributes.
func TFType(t cty.Type, optional bool) tftypes.Type {
	switch {
	case t == cty.String:
		return tftypes.String
	case t == cty.Number:
		return tftypes.Number
	case t == cty.Bool:
		return tftypes.Bool
	case t == cty.DynamicPseudoType:
		return tftypes.DynamicPseudoType
	case t.IsListType():
		return tftypes.List{ElementType: TFType(t.ElementType(), optional)}
	case t.IsSetType():
		return tftypes.Set{ElementType: TFType(t.ElementType(), optional)}
	case t.IsMapType():
		return tftypes.Map{ElementType: TFType(t.ElementType(), optional)}
	case t.IsObjectType():
		o := tftypes.Object{AttributeTypes: map[string]tftypes.Type{}}
		for k, v := range t.AttributeTypes() {
			o.AttributeTypes[k] = TFType(v, optional)
		}
		if optional && len(t.OptionalAttributes()) > 0 {
			o.OptionalAttributes = map[string]struct{}{}
			for k := range t.OptionalAttributes() {
				o.OptionalAttributes[k] = struct{}{}
			}
		}
		return o
	case t.IsTupleType():
		tt := tftypes.Tuple{}
		for _, e := range t.TupleElementTypes() {
			tt.ElementTypes = append(tt.ElementTypes, TFType(e, optional))
		}
		return tt
	}
	// cty capsule types never appear in provider schemas.
	return tftypes.DynamicPseudoType
}

// ValueType is the tftypes type of a block's values (no optional markers).
func ValueType(b *tfjson.SchemaBlock) tftypes.Type {
	o := tftypes.Object{AttributeTypes: map[string]tftypes.Type{}}
	for name, a := range b.Attributes {
		o.AttributeTypes[name] = attrValueType(a)
	}
	for name, nb := range b.NestedBlocks {
		et := ValueType(nb.Block)
		if (nb.NestingMode == tfjson.SchemaNestingModeList || nb.NestingMode == tfjson.SchemaNestingModeMap) && blockHasDynamic(nb.Block) {
			// OpenTofu decodes such blocks as a tuple (list) or an
			// object (map) whose type depends on the configuration, and
			// sends them as dynamic values.
			o.AttributeTypes[name] = tftypes.DynamicPseudoType
			continue
		}
		switch nb.NestingMode {
		case tfjson.SchemaNestingModeList:
			o.AttributeTypes[name] = tftypes.List{ElementType: et}
		case tfjson.SchemaNestingModeSet:
			o.AttributeTypes[name] = tftypes.Set{ElementType: et}
		case tfjson.SchemaNestingModeMap:
			o.AttributeTypes[name] = tftypes.Map{ElementType: et}
		default: // single, group
			o.AttributeTypes[name] = et
		}
	}
	return o
}

func attrValueType(a *tfjson.SchemaAttribute) tftypes.Type {
	if nt := a.AttributeNestedType; nt != nil {
		o := tftypes.Object{AttributeTypes: map[string]tftypes.Type{}}
		for name, na := range nt.Attributes {
			o.AttributeTypes[name] = attrValueType(na)
		}
		switch nt.NestingMode {
		case tfjson.SchemaNestingModeList:
			return tftypes.List{ElementType: o}
		case tfjson.SchemaNestingModeSet:
			return tftypes.Set{ElementType: o}
		case tfjson.SchemaNestingModeMap:
			return tftypes.Map{ElementType: o}
		}
		return o
	}
	return TFType(a.AttributeType, false)
}

// Proto converts a schema to the protocol's form.
func Proto(s *tfjson.Schema) *tfprotov6.Schema {
	return &tfprotov6.Schema{Version: int64(s.Version), Block: protoBlock(s.Block)}
}

func protoBlock(b *tfjson.SchemaBlock) *tfprotov6.SchemaBlock {
	pb := &tfprotov6.SchemaBlock{Description: b.Description, DescriptionKind: kind(b.DescriptionKind), Deprecated: b.Deprecated}
	for _, name := range slices.Sorted(maps.Keys(b.Attributes)) {
		pb.Attributes = append(pb.Attributes, protoAttr(name, b.Attributes[name]))
	}
	for _, name := range slices.Sorted(maps.Keys(b.NestedBlocks)) {
		nb := b.NestedBlocks[name]
		pb.BlockTypes = append(pb.BlockTypes, &tfprotov6.SchemaNestedBlock{
			TypeName: name,
			Block:    protoBlock(nb.Block),
			Nesting:  blockNesting(nb.NestingMode),
			MinItems: int64(nb.MinItems),
			MaxItems: int64(nb.MaxItems),
		})
	}
	return pb
}

func protoAttr(name string, a *tfjson.SchemaAttribute) *tfprotov6.SchemaAttribute {
	pa := &tfprotov6.SchemaAttribute{
		Name: name, Description: a.Description, DescriptionKind: kind(a.DescriptionKind),
		Required: a.Required, Optional: a.Optional, Computed: a.Computed, Sensitive: a.Sensitive,
		Deprecated: a.Deprecated, WriteOnly: a.WriteOnly,
	}
	if !a.Required && !a.Optional && !a.Computed {
		// A schema attribute must be one of the three; the extraction may
		// lose the flag on an odd attribute: treat it as optional.
		pa.Optional = true
	}
	if nt := a.AttributeNestedType; nt != nil {
		obj := &tfprotov6.SchemaObject{Nesting: objectNesting(nt.NestingMode)}
		for _, n := range slices.Sorted(maps.Keys(nt.Attributes)) {
			obj.Attributes = append(obj.Attributes, protoAttr(n, nt.Attributes[n]))
		}
		pa.NestedType = obj
		return pa
	}
	pa.Type = TFType(a.AttributeType, true)
	return pa
}

func kind(k tfjson.SchemaDescriptionKind) tfprotov6.StringKind {
	if k == tfjson.SchemaDescriptionKindMarkdown {
		return tfprotov6.StringKindMarkdown
	}
	return tfprotov6.StringKindPlain
}

func blockNesting(m tfjson.SchemaNestingMode) tfprotov6.SchemaNestedBlockNestingMode {
	switch m {
	case tfjson.SchemaNestingModeList:
		return tfprotov6.SchemaNestedBlockNestingModeList
	case tfjson.SchemaNestingModeSet:
		return tfprotov6.SchemaNestedBlockNestingModeSet
	case tfjson.SchemaNestingModeMap:
		return tfprotov6.SchemaNestedBlockNestingModeMap
	case tfjson.SchemaNestingModeGroup:
		return tfprotov6.SchemaNestedBlockNestingModeGroup
	}
	return tfprotov6.SchemaNestedBlockNestingModeSingle
}

func objectNesting(m tfjson.SchemaNestingMode) tfprotov6.SchemaObjectNestingMode {
	switch m {
	case tfjson.SchemaNestingModeList:
		return tfprotov6.SchemaObjectNestingModeList
	case tfjson.SchemaNestingModeSet:
		return tfprotov6.SchemaObjectNestingModeSet
	case tfjson.SchemaNestingModeMap:
		return tfprotov6.SchemaObjectNestingModeMap
	}
	return tfprotov6.SchemaObjectNestingModeSingle
}

// service guesses the ARN service of a resource type (aws_iam_role → iam).
func service(typeName string) string {
	parts := strings.Split(typeName, "_")
	if len(parts) >= 2 {
		switch parts[1] {
		case "lb", "alb":
			return "elasticloadbalancing"
		case "db", "rds":
			return "rds"
		case "cloudwatch":
			if len(parts) > 2 && parts[2] == "log" {
				return "logs"
			}
			return "cloudwatch"
		case "security", "subnet", "vpc", "internet", "nat", "route", "eip", "instance", "network":
			return "ec2"
		case "secretsmanager":
			return "secretsmanager"
		}
		return parts[1]
	}
	return "aws"
}

// SchemaFileName is the schema's name next to the provider binary in the
// mirror, where the binary looks for it.
const SchemaFileName = "schema.json"

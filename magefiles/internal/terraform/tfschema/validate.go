package tfschema

import (
	"errors"
	"fmt"
	"regexp"
	"sort"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/zclconf/go-cty/cty"
)

// validName is the rule OpenTofu and Terraform apply to every attribute and
// block name a provider declares (configschema's InternalValidate).
var validName = regexp.MustCompile(`^[a-z0-9_]+$`)

// Validate checks the rules OpenTofu enforces on a provider schema before it
// will use it (configschema.Block.InternalValidate), so a schema that passes
// here is one a replica provider can serve: valid names, a type and a
// consistent required/optional/computed combination on every attribute,
// single blocks without item limits, and no dynamic types inside set blocks.
func (s *Schema) Validate() error {
	p := s.AWS()
	if p == nil {
		return fmt.Errorf("no %s provider in schema", ProviderAddress)
	}
	var errs []error
	check := func(kind string, m map[string]*tfjson.Schema) {
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if !validName.MatchString(n) {
				errs = append(errs, fmt.Errorf("%s %q: invalid name", kind, n))
			}
			if m[n] == nil || m[n].Block == nil {
				errs = append(errs, fmt.Errorf("%s %s: no block", kind, n))
				continue
			}
			errs = append(errs, validateBlock(kind+" "+n, m[n].Block)...)
		}
	}
	if p.ConfigSchema == nil || p.ConfigSchema.Block == nil {
		errs = append(errs, errors.New("provider: no configuration schema"))
	} else {
		errs = append(errs, validateBlock("provider", p.ConfigSchema.Block)...)
	}
	check("resource", p.ResourceSchemas)
	check("data source", p.DataSourceSchemas)
	check("ephemeral resource", p.EphemeralResourceSchemas)
	if len(errs) > 10 {
		errs = append(errs[:10], fmt.Errorf("… and %d more", len(errs)-10))
	}
	return errors.Join(errs...)
}

func validateBlock(at string, b *tfjson.SchemaBlock) []error {
	var errs []error
	for n, a := range b.Attributes {
		where := at + "." + n
		if !validName.MatchString(n) {
			errs = append(errs, fmt.Errorf("%s: invalid attribute name", where))
		}
		if _, dup := b.NestedBlocks[n]; dup {
			errs = append(errs, fmt.Errorf("%s: both an attribute and a block", where))
		}
		if a == nil || a.AttributeType == cty.NilType {
			errs = append(errs, fmt.Errorf("%s: no type", where))
			continue
		}
		switch {
		case a.Optional && a.Required:
			errs = append(errs, fmt.Errorf("%s: both optional and required", where))
		case a.Computed && a.Required:
			errs = append(errs, fmt.Errorf("%s: both computed and required", where))
		case !a.Optional && !a.Required && !a.Computed:
			errs = append(errs, fmt.Errorf("%s: neither optional, required nor computed", where))
		}
	}
	for n, bt := range b.NestedBlocks {
		where := at + "." + n
		if !validName.MatchString(n) {
			errs = append(errs, fmt.Errorf("%s: invalid block name", where))
		}
		if bt == nil || bt.Block == nil {
			errs = append(errs, fmt.Errorf("%s: no block", where))
			continue
		}
		switch bt.NestingMode {
		case tfjson.SchemaNestingModeSingle:
			if bt.MinItems != 0 || bt.MaxItems != 0 {
				errs = append(errs, fmt.Errorf("%s: single block with min_items/max_items", where))
			}
		case tfjson.SchemaNestingModeList, tfjson.SchemaNestingModeSet:
			if bt.MaxItems != 0 && bt.MinItems > bt.MaxItems {
				errs = append(errs, fmt.Errorf("%s: min_items %d > max_items %d", where, bt.MinItems, bt.MaxItems))
			}
			if bt.NestingMode == tfjson.SchemaNestingModeSet && impliedType(bt.Block).HasDynamicTypes() {
				errs = append(errs, fmt.Errorf("%s: set block with a dynamic type (OpenTofu rejects it)", where))
			}
		default:
			errs = append(errs, fmt.Errorf("%s: nesting mode %q", where, bt.NestingMode))
		}
		errs = append(errs, validateBlock(where, bt.Block)...)
	}
	return errs
}

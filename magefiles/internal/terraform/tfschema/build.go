package tfschema

import (
	"fmt"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/zclconf/go-cty/cty"
)

// Stats counts what an extraction produced, for progress lines and docs.
type Stats struct {
	Resources, DataSources, EphemeralResources int
	Attributes                                 int // every attribute, nested blocks included
	Blocks                                     int // every nested block type
	Dynamic                                    int // attributes left as DynamicPseudoType ("any")
	DynamicInSets                              int // "any" replaced by string inside set-nested blocks
	Warnings                                   []string
}

// builder turns the parsed modules into Terraform schemas.
type builder struct {
	classes map[string]*jsClass  // every class of the package, by name
	hclFunc map[string][]hclAttr // every struct function, by struct name
	stats   Stats
}

func newBuilder(mods []*jsModule) (*builder, error) {
	b := &builder{classes: map[string]*jsClass{}, hclFunc: map[string][]hclAttr{}}
	for _, m := range mods {
		for n, c := range m.classes {
			if _, dup := b.classes[n]; dup {
				// cdktn prefixes every class with its resource's name, so a
				// duplicate means the generator changed and lookups by name
				// would be ambiguous.
				return nil, fmt.Errorf("class %s is defined in more than one module (second: %s)", n, m.dir)
			}
			b.classes[n] = c
		}
		for n, h := range m.hclFunc {
			b.hclFunc[n] = h
		}
	}
	return b, nil
}

func (b *builder) warnf(format string, args ...any) {
	b.stats.Warnings = append(b.stats.Warnings, fmt.Sprintf(format, args...))
}

// providerSchema assembles the provider, resource, data source and ephemeral
// resource schemas from every class that carries a tfResourceType.
func (b *builder) providerSchema() (*tfjson.ProviderSchema, error) {
	ps := &tfjson.ProviderSchema{
		ResourceSchemas:          map[string]*tfjson.Schema{},
		DataSourceSchemas:        map[string]*tfjson.Schema{},
		EphemeralResourceSchemas: map[string]*tfjson.Schema{},
	}
	names := make([]string, 0, len(b.classes))
	for n := range b.classes {
		names = append(names, n)
	}
	sort.Strings(names) // deterministic warnings
	for _, n := range names {
		c := b.classes[n]
		var into map[string]*tfjson.Schema
		switch c.base {
		case "cdktn.TerraformResource":
			into = ps.ResourceSchemas
		case "cdktn.TerraformDataSource":
			into = ps.DataSourceSchemas
		case "cdktn.TerraformEphemeralResource":
			into = ps.EphemeralResourceSchemas
		case "cdktn.TerraformProvider":
			if ps.ConfigSchema != nil {
				return nil, fmt.Errorf("two provider classes (%s)", n)
			}
			// alias is a meta-argument cdktn models on the provider class;
			// it is not part of the provider's schema.
			ps.ConfigSchema = &tfjson.Schema{Block: b.block(c, c.hcl, map[string]bool{"alias": true}, nil)}
			continue
		default:
			continue
		}
		if c.tfType == "" {
			return nil, fmt.Errorf("class %s (%s) has no tfResourceType", n, c.base)
		}
		if _, dup := into[c.tfType]; dup {
			return nil, fmt.Errorf("%s is generated twice (second: class %s)", c.tfType, n)
		}
		into[c.tfType] = &tfjson.Schema{Block: b.block(c, c.hcl, nil, nil)}
	}
	if ps.ConfigSchema == nil {
		return nil, fmt.Errorf("no provider class found")
	}
	b.stats.Resources = len(ps.ResourceSchemas)
	b.stats.DataSources = len(ps.DataSourceSchemas)
	b.stats.EphemeralResources = len(ps.EphemeralResourceSchemas)
	for _, m := range []map[string]*tfjson.Schema{ps.ResourceSchemas, ps.DataSourceSchemas, ps.EphemeralResourceSchemas, {"": ps.ConfigSchema}} {
		for _, s := range m {
			b.finish(s.Block, false)
		}
	}
	return ps, nil
}

// shape says how an object-typed attribute holds its objects.
type shape struct {
	coll string   // "list", "set", "map", "single"; "" for non-object attributes
	max1 bool     // a list or set of at most one (cdktn's OutputReference)
	elem *jsClass // the element's OutputReference class, when there is one
	// structName names the element struct (for its …ToHclTerraform function).
	structName string
}

func structOf(className string) string {
	return strings.TrimSuffix(className, "OutputReference")
}

// objectShape works out whether attribute a (with HCL entry h, if any) holds
// objects, and how.
func (b *builder) objectShape(a attrSeg, h hclAttr, hasH bool) shape {
	if a.newClass != "" && !strings.HasPrefix(a.newClass, "cdktn.") {
		c := b.classes[a.newClass]
		if c == nil {
			b.warnf("attribute %s: class %s not found", a.name, a.newClass)
			return shape{}
		}
		var s shape
		switch c.base {
		case "cdktn.ComplexList":
			s.coll = "list"
			if a.newArg == "true" {
				s.coll = "set"
			}
			s.elem = b.classes[c.elemClass]
		case "cdktn.ComplexMap":
			s.coll = "map"
			s.elem = b.classes[c.elemClass]
		case "cdktn.ComplexObject":
			// A struct (single nested) object is constructed with
			// (resource, attribute, false); a list-of-one element with
			// (resource, attribute, false, 0).
			s.elem = c
			if c.superArgs == 1 {
				s.coll = "single"
			} else {
				s.coll, s.max1 = "list", true
			}
		default:
			b.warnf("attribute %s: class %s extends %s", a.name, a.newClass, c.base)
			return shape{}
		}
		if s.elem == nil {
			b.warnf("attribute %s: element class of %s not found", a.name, a.newClass)
			return shape{}
		}
		s.structName = structOf(s.elem.name)
		if hasH {
			switch h.typ {
			case "struct":
				s.coll, s.max1 = "single", false
			case "set":
				s.coll = "set"
			}
		}
		return s
	}
	if hasH && h.isBlock {
		// The provider's own blocks have plain interfaces and no
		// OutputReference classes: only the struct function describes them.
		s := shape{coll: h.typ}
		switch h.typ {
		case "list", "set":
			s.structName = strings.TrimSuffix(h.storage, "List")
		case "map":
			s.structName = strings.TrimSuffix(h.storage, "Map")
		case "struct":
			s.coll, s.structName = "single", h.storage
		}
		if c := b.classes[s.structName+"OutputReference"]; c != nil {
			s.elem = c
		}
		return s
	}
	return shape{}
}

// block builds the schema block of class c (nil for a struct known only by
// its HCL function), skipping the names in skip.
func (b *builder) block(c *jsClass, hcl []hclAttr, skip map[string]bool, visiting map[string]bool) *tfjson.SchemaBlock {
	blk := &tfjson.SchemaBlock{
		Attributes:   map[string]*tfjson.SchemaAttribute{},
		NestedBlocks: map[string]*tfjson.SchemaBlockType{},
	}
	hm := make(map[string]hclAttr, len(hcl))
	for _, h := range hcl {
		hm[h.name] = h
	}
	var segs []attrSeg
	if c != nil {
		segs = c.attrs
	} else {
		// Struct without an OutputReference (the provider's blocks): its
		// HCL entries are all there is; the AWS provider's configuration
		// arguments are all optional.
		for _, h := range hcl {
			segs = append(segs, attrSeg{name: h.name, optional: true})
		}
	}
	if visiting == nil {
		visiting = map[string]bool{}
	}
	for _, a := range segs {
		if skip[a.name] {
			continue
		}
		h, hasH := hm[a.name]
		s := b.objectShape(a, h, hasH)
		if s.coll != "" && !a.computed && s.coll != "map" && (!hasH || h.isBlock) {
			// A configurable object is a nested block. Blocks are never
			// computed in a Terraform schema; an object the generator marks
			// computed is an attribute (SDKv2 computed-only lists and
			// "attributes as blocks" such as aws_security_group.ingress).
			key := s.structName
			if visiting[key] {
				b.warnf("recursive block %s.%s left as any", c.name, a.name)
				blk.Attributes[a.name] = &tfjson.SchemaAttribute{AttributeType: cty.DynamicPseudoType, Optional: true}
				continue
			}
			visiting[key] = true
			inner := b.block(s.elem, b.hclFunc[s.structName], nil, visiting)
			delete(visiting, key)
			bt := &tfjson.SchemaBlockType{Block: inner}
			switch s.coll {
			case "single":
				bt.NestingMode = tfjson.SchemaNestingModeSingle
			case "set":
				bt.NestingMode = tfjson.SchemaNestingModeSet
			default:
				bt.NestingMode = tfjson.SchemaNestingModeList
			}
			if bt.NestingMode != tfjson.SchemaNestingModeSingle {
				if s.max1 {
					bt.MaxItems = 1
				}
				if a.required {
					bt.MinItems = 1
				}
			}
			blk.NestedBlocks[a.name] = bt
			continue
		}
		var ty cty.Type
		if s.coll != "" {
			ty = b.objectCollection(s, visiting)
		} else if hasH {
			ty = b.storageType(h)
		} else {
			ty = b.getterType(a)
		}
		at := &tfjson.SchemaAttribute{AttributeType: ty, Required: a.required}
		if !a.required {
			at.Optional, at.Computed = a.optional, a.computed
			if !at.Optional && !at.Computed {
				// Nested classes of computed objects carry no flags of
				// their own; the attribute can only be read.
				at.Computed = true
			}
		}
		blk.Attributes[a.name] = at
	}
	if len(blk.Attributes) == 0 {
		blk.Attributes = nil
	}
	if len(blk.NestedBlocks) == 0 {
		blk.NestedBlocks = nil
	}
	return blk
}

// objectCollection is the type of an object-typed attribute.
func (b *builder) objectCollection(s shape, visiting map[string]bool) cty.Type {
	if visiting[s.structName] {
		b.warnf("recursive object %s left as any", s.structName)
		return cty.DynamicPseudoType
	}
	visiting[s.structName] = true
	obj := b.objectType(s.elem, b.hclFunc[s.structName], visiting)
	delete(visiting, s.structName)
	switch s.coll {
	case "set":
		return cty.Set(obj)
	case "map":
		return cty.Map(obj)
	case "single":
		return obj
	default:
		return cty.List(obj)
	}
}

// objectType is the object type of a nested class, blocks included.
func (b *builder) objectType(c *jsClass, hcl []hclAttr, visiting map[string]bool) cty.Type {
	blk := b.block(c, hcl, nil, visiting)
	return impliedType(blk)
}

// impliedType mirrors configschema.Block.ImpliedType.
func impliedType(blk *tfjson.SchemaBlock) cty.Type {
	attrs := map[string]cty.Type{}
	for n, a := range blk.Attributes {
		attrs[n] = a.AttributeType
	}
	for n, bt := range blk.NestedBlocks {
		t := impliedType(bt.Block)
		switch bt.NestingMode {
		case tfjson.SchemaNestingModeSingle:
			attrs[n] = t
		case tfjson.SchemaNestingModeSet:
			attrs[n] = cty.Set(t)
		default:
			attrs[n] = cty.List(t)
		}
	}
	return cty.Object(attrs)
}

var primTypes = map[string]cty.Type{
	"string":  cty.String,
	"number":  cty.Number,
	"boolean": cty.Bool,
	"any":     cty.DynamicPseudoType,
}

// storageType reads cdktn's storageClassType: a primitive followed by
// List/Map wrappers, innermost first ("stringMapList" is a list of maps of
// strings); the outermost List is a set when the HCL type says so.
func (b *builder) storageType(h hclAttr) cty.Type {
	s := h.storage
	var wraps []string // outermost first
	for {
		if t, ok := primTypes[s]; ok {
			for i := len(wraps) - 1; i >= 0; i-- {
				switch {
				case wraps[i] == "Map":
					t = cty.Map(t)
				case i == 0 && h.typ == "set":
					t = cty.Set(t)
				default:
					t = cty.List(t)
				}
			}
			return t
		}
		switch {
		case strings.HasSuffix(s, "List") && len(s) > 4:
			wraps = append(wraps, "List")
			s = strings.TrimSuffix(s, "List")
		case strings.HasSuffix(s, "Map") && len(s) > 3:
			wraps = append(wraps, "Map")
			s = strings.TrimSuffix(s, "Map")
		default:
			b.warnf("attribute %s: unknown storage class %q left as any", h.name, h.storage)
			return cty.DynamicPseudoType
		}
	}
}

// getterType reads the type of a computed-only attribute from its getter.
func (b *builder) getterType(a attrSeg) cty.Type {
	coll := func(t cty.Type) cty.Type {
		if strings.Contains(a.ret, "Fn.tolist(") {
			return cty.Set(t) // cdktn converts sets to lists for readers
		}
		return cty.List(t)
	}
	switch a.newClass {
	case "cdktn.StringMap":
		return cty.Map(cty.String)
	case "cdktn.NumberMap":
		return cty.Map(cty.Number)
	case "cdktn.BooleanMap":
		return cty.Map(cty.Bool)
	case "cdktn.AnyMap":
		return cty.Map(cty.DynamicPseudoType)
	}
	r := a.ret
	switch {
	case strings.Contains(r, "interpolationForAttribute("):
		return cty.DynamicPseudoType
	case strings.Contains(r, "getStringAttribute("):
		return cty.String
	case strings.Contains(r, "getNumberAttribute("):
		return cty.Number
	case strings.Contains(r, "getBooleanAttribute("):
		return cty.Bool
	case strings.Contains(r, "getListAttribute("):
		return coll(cty.String)
	case strings.Contains(r, "getNumberListAttribute("):
		return coll(cty.Number)
	case strings.Contains(r, "getBooleanListAttribute("):
		return coll(cty.Bool)
	case strings.Contains(r, "getStringMapAttribute("):
		return cty.Map(cty.String)
	case strings.Contains(r, "getNumberMapAttribute("):
		return cty.Map(cty.Number)
	case strings.Contains(r, "getBooleanMapAttribute("):
		return cty.Map(cty.Bool)
	case strings.Contains(r, "getAnyMapAttribute("):
		return cty.Map(cty.DynamicPseudoType)
	}
	b.warnf("attribute %s: unknown getter %q (class %q) left as any", a.name, r, a.newClass)
	return cty.DynamicPseudoType
}

// finish counts the block and makes it acceptable to OpenTofu: inside a
// set-nested block (inSet) no type may be dynamic, because set elements
// must have a known type, so "any" becomes string there.
func (b *builder) finish(blk *tfjson.SchemaBlock, inSet bool) {
	for _, a := range blk.Attributes {
		b.stats.Attributes++
		if inSet && a.AttributeType.HasDynamicTypes() {
			a.AttributeType = replaceDynamic(a.AttributeType)
			b.stats.DynamicInSets++
		} else if a.AttributeType.Equals(cty.DynamicPseudoType) {
			b.stats.Dynamic++
		}
	}
	for _, bt := range blk.NestedBlocks {
		b.stats.Blocks++
		b.finish(bt.Block, inSet || bt.NestingMode == tfjson.SchemaNestingModeSet)
	}
}

// replaceDynamic returns t with every DynamicPseudoType replaced by string.
func replaceDynamic(t cty.Type) cty.Type {
	switch {
	case t.Equals(cty.DynamicPseudoType):
		return cty.String
	case t.IsListType():
		return cty.List(replaceDynamic(t.ElementType()))
	case t.IsSetType():
		return cty.Set(replaceDynamic(t.ElementType()))
	case t.IsMapType():
		return cty.Map(replaceDynamic(t.ElementType()))
	case t.IsObjectType():
		at := map[string]cty.Type{}
		for n, et := range t.AttributeTypes() {
			at[n] = replaceDynamic(et)
		}
		return cty.Object(at)
	case t.IsTupleType():
		et := t.TupleElementTypes()
		out := make([]cty.Type, len(et))
		for i := range et {
			out[i] = replaceDynamic(et[i])
		}
		return cty.Tuple(out)
	}
	return t
}

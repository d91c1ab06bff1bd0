package provider

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// AccountID is the placeholder AWS account of every ARN the replica makes.
const AccountID = "123456789012"

// env is what placeholders and plan-time fills depend on: the provider's
// configuration.
type env struct {
	region      string
	defaultTags map[string]string
}

// walker carries the context of one resource while its value is rewritten.
type walker struct {
	env      env
	typeName string
	// seed makes placeholders of two instances of a type differ
	// deterministically (it is derived from the configuration).
	seed string
}

// planBlock returns the planned value of a block: every computed attribute
// left null by the configuration becomes unknown ("known after apply"),
// except region and tags_all, which the real provider also knows at plan
// time.
func (w walker) planBlock(b *tfjson.SchemaBlock, v tftypes.Value, top bool) (tftypes.Value, error) {
	if v.IsNull() || !v.IsKnown() {
		return v, nil
	}
	m := map[string]tftypes.Value{}
	if err := v.As(&m); err != nil {
		return v, err
	}
	for name, a := range b.Attributes {
		av, ok := m[name]
		if !ok {
			continue
		}
		switch {
		case top && name == "region" && a.Computed && av.IsNull() && av.Type().Is(tftypes.String):
			m[name] = tftypes.NewValue(tftypes.String, w.env.region)
		case top && name == "tags_all" && a.Computed && av.IsNull() && av.Type().Is(tftypes.Map{ElementType: tftypes.String}):
			m[name] = w.tagsAll(m["tags"])
		case a.Computed && av.IsNull():
			m[name] = tftypes.NewValue(av.Type(), tftypes.UnknownValue)
		case a.AttributeNestedType != nil:
			nv, err := w.planNested(a.AttributeNestedType, av)
			if err != nil {
				return v, err
			}
			m[name] = nv
		}
	}
	for name, nb := range b.NestedBlocks {
		bv, ok := m[name]
		if !ok {
			continue
		}
		nv, err := mapElements(nb.NestingMode, bv, func(e tftypes.Value) (tftypes.Value, error) { return w.planBlock(nb.Block, e, false) })
		if err != nil {
			return v, err
		}
		m[name] = nv
	}
	return newValue(v.Type(), m)
}

func (w walker) planNested(nt *tfjson.SchemaNestedAttributeType, v tftypes.Value) (tftypes.Value, error) {
	b := &tfjson.SchemaBlock{Attributes: nt.Attributes}
	if nt.NestingMode == tfjson.SchemaNestingModeSingle || nt.NestingMode == "" {
		return w.planBlock(b, v, false)
	}
	return mapElements(nt.NestingMode, v, func(e tftypes.Value) (tftypes.Value, error) { return w.planBlock(b, e, false) })
}

// tagsAll is tags merged over the provider's default_tags, as the real
// provider plans it. Unknown tags make tags_all unknown.
func (w walker) tagsAll(tags tftypes.Value) tftypes.Value {
	typ := tftypes.Map{ElementType: tftypes.String}
	merged := map[string]tftypes.Value{}
	for k, v := range w.env.defaultTags {
		merged[k] = tftypes.NewValue(tftypes.String, v)
	}
	if tags.Type() != nil && !tags.IsNull() {
		if !tags.IsKnown() {
			return tftypes.NewValue(typ, tftypes.UnknownValue)
		}
		m := map[string]tftypes.Value{}
		if err := tags.As(&m); err != nil {
			return tftypes.NewValue(typ, tftypes.UnknownValue)
		}
		for k, v := range m {
			merged[k] = v
		}
	}
	return tftypes.NewValue(typ, merged)
}

// mapElements applies fn to a block value according to its nesting: the
// value itself (single, group), or each element of a list, set or map —
// including the tuple and object forms OpenTofu uses for list and map
// blocks holding dynamically typed attributes.
func mapElements(nesting tfjson.SchemaNestingMode, v tftypes.Value, fn func(tftypes.Value) (tftypes.Value, error)) (tftypes.Value, error) {
	if v.IsNull() || !v.IsKnown() {
		return v, nil
	}
	switch t := v.Type().(type) {
	case tftypes.List, tftypes.Set, tftypes.Tuple:
		var elems []tftypes.Value
		if err := v.As(&elems); err != nil {
			return v, err
		}
		for i := range elems {
			e, err := fn(elems[i])
			if err != nil {
				return v, err
			}
			elems[i] = e
		}
		return newValue(t, elems)
	case tftypes.Map:
		m := map[string]tftypes.Value{}
		if err := v.As(&m); err != nil {
			return v, err
		}
		for k := range m {
			e, err := fn(m[k])
			if err != nil {
				return v, err
			}
			m[k] = e
		}
		return newValue(t, m)
	case tftypes.Object:
		if nesting != tfjson.SchemaNestingModeMap {
			break
		}
		m := map[string]tftypes.Value{}
		if err := v.As(&m); err != nil {
			return v, err
		}
		for k := range m {
			e, err := fn(m[k])
			if err != nil {
				return v, err
			}
			m[k] = e
		}
		return newValue(t, m)
	}
	return fn(v)
}

// newValue is tftypes.NewValue without its panic. A tuple's or object's
// type follows its new elements (a dynamic placeholder may change an
// element's type).
func newValue(t tftypes.Type, val any) (v tftypes.Value, err error) {
	switch tt := t.(type) {
	case tftypes.Tuple:
		if elems, ok := val.([]tftypes.Value); ok {
			nt := tftypes.Tuple{}
			for _, e := range elems {
				nt.ElementTypes = append(nt.ElementTypes, e.Type())
			}
			t = nt
		}
	case tftypes.Object:
		if m, ok := val.(map[string]tftypes.Value); ok {
			nt := tftypes.Object{AttributeTypes: map[string]tftypes.Type{}}
			for k, at := range tt.AttributeTypes {
				nt.AttributeTypes[k] = at
				// An attribute declared dynamic keeps its declaration;
				// a concrete type follows its value.
				if e, ok := m[k]; ok && !at.Is(tftypes.DynamicPseudoType) {
					nt.AttributeTypes[k] = e.Type()
				}
			}
			t = nt
		}
	}
	if err := tftypes.ValidateValue(t, val); err != nil {
		return tftypes.Value{}, err
	}
	return tftypes.NewValue(t, val), nil
}

// fill replaces every unknown inside v with a deterministic placeholder
// (apply, data sources). path names the attribute for the placeholder's
// text.
func (w walker) fill(v tftypes.Value, path []string) tftypes.Value {
	if !v.IsKnown() {
		return w.placeholder(v.Type(), path)
	}
	if v.IsNull() {
		return v
	}
	switch t := v.Type().(type) {
	case tftypes.List, tftypes.Set, tftypes.Tuple:
		var elems []tftypes.Value
		if err := v.As(&elems); err != nil {
			return v
		}
		for i := range elems {
			elems[i] = w.fill(elems[i], append(path, fmt.Sprint(i)))
		}
		if nv, err := newValue(t, elems); err == nil {
			return nv
		}
		return v
	case tftypes.Map, tftypes.Object:
		m := map[string]tftypes.Value{}
		if err := v.As(&m); err != nil {
			return v
		}
		for k := range m {
			m[k] = w.fill(m[k], append(path, k))
		}
		if nv, err := newValue(t, m); err == nil {
			return nv
		}
		return v
	}
	return v
}

// fillComputed gives every null computed attribute of a block a placeholder
// (data sources: their results must be wholly known).
func (w walker) fillComputed(b *tfjson.SchemaBlock, v tftypes.Value, path []string) tftypes.Value {
	if v.IsNull() || !v.IsKnown() {
		return v
	}
	m := map[string]tftypes.Value{}
	if err := v.As(&m); err != nil {
		return v
	}
	for name, a := range b.Attributes {
		av, ok := m[name]
		if !ok {
			continue
		}
		switch {
		case len(path) == 0 && name == "region" && a.Computed && av.IsNull() && av.Type().Is(tftypes.String):
			m[name] = tftypes.NewValue(tftypes.String, w.env.region)
		case a.Computed && av.IsNull():
			m[name] = w.placeholder(av.Type(), append(path, name))
		case !av.IsKnown():
			m[name] = w.placeholder(av.Type(), append(path, name))
		}
	}
	for name, nb := range b.NestedBlocks {
		if bv, ok := m[name]; ok {
			nv, _ := mapElements(nb.NestingMode, bv, func(e tftypes.Value) (tftypes.Value, error) {
				return w.fillComputed(nb.Block, e, append(path, name)), nil
			})
			m[name] = nv
		}
	}
	if nv, err := newValue(v.Type(), m); err == nil {
		return nv
	}
	return v
}

// placeholder is a known value of type t. Strings are recognisable
// ("<attribute>-<hash>", ARNs for *arn attributes) and deterministic: the
// same resource type, attribute path and configuration always give the
// same text. Lists and sets hold one element so that `x[0]` works.
func (w walker) placeholder(t tftypes.Type, path []string) tftypes.Value {
	name := ""
	if len(path) > 0 {
		name = path[len(path)-1]
	}
	switch {
	case t.Is(tftypes.String), t.Is(tftypes.DynamicPseudoType):
		return tftypes.NewValue(tftypes.String, w.placeholderString(name, path))
	case t.Is(tftypes.Number):
		return tftypes.NewValue(tftypes.Number, big.NewFloat(1))
	case t.Is(tftypes.Bool):
		return tftypes.NewValue(tftypes.Bool, false)
	}
	switch tt := t.(type) {
	case tftypes.List:
		return tftypes.NewValue(tt, []tftypes.Value{w.placeholder(tt.ElementType, append(path, "0"))})
	case tftypes.Set:
		return tftypes.NewValue(tt, []tftypes.Value{w.placeholder(tt.ElementType, append(path, "0"))})
	case tftypes.Map:
		return tftypes.NewValue(tt, map[string]tftypes.Value{})
	case tftypes.Tuple:
		var elems []tftypes.Value
		for i, et := range tt.ElementTypes {
			elems = append(elems, w.placeholder(et, append(path, fmt.Sprint(i))))
		}
		return tftypes.NewValue(tt, elems)
	case tftypes.Object:
		m := map[string]tftypes.Value{}
		for k, at := range tt.AttributeTypes {
			m[k] = w.placeholder(at, append(path, k))
		}
		return tftypes.NewValue(tftypes.Object{AttributeTypes: tt.AttributeTypes}, m)
	}
	return tftypes.NewValue(t, nil)
}

func (w walker) placeholderString(name string, path []string) string {
	h := sha256.Sum256([]byte(w.typeName + "\x00" + strings.Join(path, ".") + "\x00" + w.seed))
	short := hex.EncodeToString(h[:4])
	switch {
	case name == "arn" || strings.HasSuffix(name, "_arn"):
		svc := service(w.typeName)
		region := w.env.region
		if svc == "iam" || svc == "cloudfront" || svc == "s3" {
			region = ""
		}
		res := strings.TrimPrefix(w.typeName, "aws_")
		if name != "arn" {
			res = strings.TrimSuffix(name, "_arn")
		}
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s/%s", svc, region, AccountID, res, short)
	case name == "account_id" || name == "owner_id":
		return AccountID
	case name == "region":
		return w.env.region
	case name == "id" || name == "":
		return strings.TrimPrefix(w.typeName, "aws_") + "-" + short
	}
	return name + "-" + short
}

// configSeed summarises a configuration for placeholder hashing.
func configSeed(v tftypes.Value) string {
	if v.IsNull() {
		return ""
	}
	h := sha256.Sum256([]byte(v.String()))
	return hex.EncodeToString(h[:8])
}

// goValue converts a known value to plain Go (string, float64, bool, nil,
// []any, map[string]any) for the locally rendered data sources.
func goValue(v tftypes.Value) any {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	switch v.Type().(type) {
	case tftypes.List, tftypes.Set, tftypes.Tuple:
		var elems []tftypes.Value
		_ = v.As(&elems)
		out := make([]any, 0, len(elems))
		for _, e := range elems {
			out = append(out, goValue(e))
		}
		return out
	case tftypes.Map, tftypes.Object:
		m := map[string]tftypes.Value{}
		_ = v.As(&m)
		out := map[string]any{}
		for k, e := range m {
			out[k] = goValue(e)
		}
		return out
	}
	switch {
	case v.Type().Is(tftypes.String):
		var s string
		_ = v.As(&s)
		return s
	case v.Type().Is(tftypes.Bool):
		var b bool
		_ = v.As(&b)
		return b
	case v.Type().Is(tftypes.Number):
		f := new(big.Float)
		_ = v.As(&f)
		x, _ := f.Float64()
		return x
	}
	return nil
}

// fromGo builds a value of type t from plain Go (the inverse of goValue).
func fromGo(t tftypes.Type, x any) (tftypes.Value, error) {
	if x == nil {
		return tftypes.NewValue(t, nil), nil
	}
	switch tt := t.(type) {
	case tftypes.List, tftypes.Set:
		var et tftypes.Type
		if l, ok := tt.(tftypes.List); ok {
			et = l.ElementType
		} else {
			et = tt.(tftypes.Set).ElementType
		}
		xs, ok := x.([]any)
		if !ok {
			if ss, ok2 := x.([]string); ok2 {
				for _, s := range ss {
					xs = append(xs, s)
				}
			} else {
				return tftypes.Value{}, fmt.Errorf("want a list for %s, got %T", t, x)
			}
		}
		var elems []tftypes.Value
		for _, e := range xs {
			ev, err := fromGo(et, e)
			if err != nil {
				return tftypes.Value{}, err
			}
			elems = append(elems, ev)
		}
		return tftypes.NewValue(t, elems), nil
	case tftypes.Map:
		m := map[string]tftypes.Value{}
		switch xm := x.(type) {
		case map[string]string:
			for k, v := range xm {
				m[k] = tftypes.NewValue(tt.ElementType, v)
			}
		case map[string]any:
			for k, v := range xm {
				ev, err := fromGo(tt.ElementType, v)
				if err != nil {
					return tftypes.Value{}, err
				}
				m[k] = ev
			}
		default:
			return tftypes.Value{}, fmt.Errorf("want a map for %s, got %T", t, x)
		}
		return tftypes.NewValue(t, m), nil
	}
	switch {
	case t.Is(tftypes.String), t.Is(tftypes.DynamicPseudoType):
		s, ok := x.(string)
		if !ok {
			return tftypes.Value{}, fmt.Errorf("want a string, got %T", x)
		}
		return tftypes.NewValue(tftypes.String, s), nil
	case t.Is(tftypes.Number):
		switch n := x.(type) {
		case int:
			return tftypes.NewValue(t, big.NewFloat(float64(n))), nil
		case float64:
			return tftypes.NewValue(t, big.NewFloat(n)), nil
		}
	case t.Is(tftypes.Bool):
		if b, ok := x.(bool); ok {
			return tftypes.NewValue(t, b), nil
		}
	}
	return tftypes.Value{}, fmt.Errorf("cannot make %s from %T", t, x)
}

func sortedStrings(xs []any) []string {
	var out []string
	for _, x := range xs {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

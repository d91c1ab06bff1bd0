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
	// values are the resource's top-level planned values (names for
	// realistic ARNs and endpoints).
	values map[string]tftypes.Value
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
	long := hex.EncodeToString(h[:8])
	top := len(path) == 1
	switch {
	case top && name == "arn":
		return w.arn(long)
	case name == "arn" || strings.HasSuffix(name, "_arn"):
		region := w.env.region
		svc, res := arnService(w.typeName, name)
		if svc == "iam" || svc == "cloudfront" || svc == "s3" {
			region = ""
		}
		sep := "/"
		if svc == "secretsmanager" || svc == "logs" {
			sep = ":"
		}
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s%s%s", svc, region, AccountID, res, sep, short)
	case name == "account_id" || name == "owner_id" || name == "registry_id":
		return AccountID
	case name == "region":
		return w.env.region
	case top && name == "repository_url":
		return fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", AccountID, w.env.region, w.resourceName(short))
	case top && name == "dns_name" && strings.Contains(w.typeName, "_lb"):
		return fmt.Sprintf("%s-%d.%s.elb.amazonaws.com", w.resourceName(short), 1000000000+int(h[0])<<16|int(h[1])<<8|int(h[2]), w.env.region)
	case top && name == "arn_suffix" && strings.Contains(w.typeName, "_lb"):
		if strings.Contains(w.typeName, "target_group") {
			return fmt.Sprintf("targetgroup/%s/%s", w.resourceName(short), long)
		}
		return fmt.Sprintf("app/%s/%s", w.resourceName(short), long)
	case top && name == "domain_name" && w.typeName == "aws_cloudfront_distribution":
		return "d" + short + "abcdef.cloudfront.net"
	case top && (name == "zone_id" || name == "hosted_zone_id"):
		return "Z" + strings.ToUpper(long[:13])
	case top && name == "address" && w.typeName == "aws_db_instance":
		return fmt.Sprintf("%s.c%s.%s.rds.amazonaws.com", w.resourceName(short), short, w.env.region)
	case top && name == "endpoint" && w.typeName == "aws_db_instance":
		return fmt.Sprintf("%s.c%s.%s.rds.amazonaws.com:5432", w.resourceName(short), short, w.env.region)
	case top && name == "primary_endpoint_address":
		return fmt.Sprintf("master.%s.%s.%s.cache.amazonaws.com", w.resourceName(short), short[:6], zoneIDPrefix(w.env.region))
	case name == "id" || name == "":
		return strings.TrimPrefix(w.typeName, "aws_") + "-" + short
	}
	return name + "-" + short
}

// arnService picks the service and resource kind of an ARN attribute from
// its name where the name says (secret_arn, role_arn, …), else from the
// resource type.
func arnService(typeName, attr string) (svc, res string) {
	kind := strings.TrimSuffix(attr, "_arn")
	for _, m := range []struct{ suffix, svc, res string }{
		{"secret", "secretsmanager", "secret"},
		{"role", "iam", "role"},
		{"policy", "iam", "policy"},
		{"kms_key", "kms", "key"},
		{"key", "kms", "key"},
		{"target_group", "elasticloadbalancing", "targetgroup"},
		{"load_balancer", "elasticloadbalancing", "loadbalancer/app"},
		{"log_group", "logs", "log-group"},
		{"topic", "sns", "topic"},
		{"certificate", "acm", "certificate"},
		{"repository", "ecr", "repository"},
		{"cluster", "ecs", "cluster"},
		{"task_definition", "ecs", "task-definition"},
		{"registry", "servicediscovery", "service"},
	} {
		if attr != "arn" && (kind == m.suffix || strings.HasSuffix(kind, "_"+m.suffix)) {
			return m.svc, m.res
		}
	}
	res = strings.TrimPrefix(typeName, "aws_")
	if attr != "arn" {
		res = kind
	}
	return service(typeName), res
}

// resourceName is the resource's own name where the configuration or plan
// gives one (name, bucket, family, identifier, …), else fallback.
func (w walker) resourceName(fallback string) string {
	for _, k := range []string{"name", "bucket", "family", "identifier", "replication_group_id", "cluster_identifier"} {
		if v, ok := w.values[k]; ok && v.IsKnown() && !v.IsNull() && v.Type().Is(tftypes.String) {
			var s string
			if err := v.As(&s); err == nil && s != "" {
				return s
			}
		}
	}
	return fallback
}

// arn makes a resource's ARN in the shape AWS uses for its type, so that
// modules validating ARNs they are given (an ALB's, a role's) accept what
// the replica applies.
func (w walker) arn(id string) string {
	region, name := w.env.region, w.resourceName(id[:8])
	svc := service(w.typeName)
	var res string
	switch w.typeName {
	case "aws_lb", "aws_alb":
		res = "loadbalancer/app/" + name + "/" + id
	case "aws_lb_target_group", "aws_alb_target_group":
		res = "targetgroup/" + name + "/" + id
	case "aws_lb_listener", "aws_alb_listener":
		res = "listener/app/" + name + "/" + id + "/" + id[:8]
	case "aws_iam_role", "aws_iam_policy", "aws_iam_user", "aws_iam_instance_profile":
		region = ""
		res = strings.TrimPrefix(w.typeName, "aws_iam_") + "/" + name
		res = strings.Replace(res, "instance_profile", "instance-profile", 1)
	case "aws_iam_openid_connect_provider":
		region = ""
		res = "oidc-provider/token.actions.githubusercontent.com"
	case "aws_ecs_cluster":
		res = "cluster/" + name
	case "aws_ecs_service":
		res = "service/" + name
	case "aws_ecs_task_definition":
		res = "task-definition/" + name + ":1"
	case "aws_ecr_repository":
		res = "repository/" + name
	case "aws_cloudwatch_log_group":
		res = "log-group:" + name
	case "aws_secretsmanager_secret":
		res = "secret:" + name + "-" + id[:6]
	case "aws_db_instance":
		res = "db:" + name
	case "aws_elasticache_replication_group":
		res = "replicationgroup:" + name
	case "aws_s3_bucket":
		region = ""
		return "arn:aws:s3:::" + name
	case "aws_sns_topic", "aws_sqs_queue":
		res = name
	case "aws_cloudfront_distribution":
		region = ""
		res = "distribution/E" + strings.ToUpper(id[:13])
	default:
		res = strings.TrimPrefix(w.typeName, "aws_") + "/" + name
	}
	if svc == "iam" || svc == "cloudfront" {
		region = ""
	}
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", svc, region, AccountID, res)
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

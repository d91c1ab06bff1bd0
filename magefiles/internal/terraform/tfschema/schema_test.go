package tfschema

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/zclconf/go-cty/cty"
)

// The expectations below are the real hashicorp/aws 6.x schema as
// `terraform providers schema -json` prints it (written from the provider's
// documentation and schema, not from this package's output).

var (
	fullOnce   sync.Once
	fullResult Result
	fullSchema *Schema
	fullErr    error
)

// full extracts (or finds cached) the whole schema once per test binary.
// A cold cache needs the npm registry.
func full(t *testing.T) (*Schema, Result) {
	t.Helper()
	fullOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		fullResult, fullErr = Ensure(ctx, t.Logf)
		if fullErr == nil {
			fullSchema, fullErr = Load(fullResult.Path)
		}
	})
	if fullErr != nil {
		t.Fatal(fullErr)
	}
	return fullSchema, fullResult
}

func typeJSON(t *testing.T, a *tfjson.SchemaAttribute) string {
	t.Helper()
	b, err := a.AttributeType.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func flags(a *tfjson.SchemaAttribute) string {
	var f []string
	if a.Required {
		f = append(f, "required")
	}
	if a.Optional {
		f = append(f, "optional")
	}
	if a.Computed {
		f = append(f, "computed")
	}
	return strings.Join(f, ",")
}

// wantAttr asserts attribute name of blk has the JSON type typ and flags.
func wantAttr(t *testing.T, where string, blk *tfjson.SchemaBlock, name, typ, fl string) {
	t.Helper()
	a := blk.Attributes[name]
	if a == nil {
		t.Errorf("%s: attribute %s missing", where, name)
		return
	}
	if got := typeJSON(t, a); got != typ {
		t.Errorf("%s.%s: type %s, want %s", where, name, got, typ)
	}
	if got := flags(a); got != fl {
		t.Errorf("%s.%s: flags %q, want %q", where, name, got, fl)
	}
}

// wantBlock asserts a nested block's nesting and limits and returns its body.
func wantBlock(t *testing.T, where string, blk *tfjson.SchemaBlock, name string, mode tfjson.SchemaNestingMode, minItems, maxItems uint64) *tfjson.SchemaBlock {
	t.Helper()
	bt := blk.NestedBlocks[name]
	if bt == nil {
		t.Fatalf("%s: block %s missing (attribute? %v)", where, name, blk.Attributes[name] != nil)
	}
	if bt.NestingMode != mode || bt.MinItems != minItems || bt.MaxItems != maxItems {
		t.Errorf("%s.%s: nesting %s min %d max %d, want %s min %d max %d", where, name,
			bt.NestingMode, bt.MinItems, bt.MaxItems, mode, minItems, maxItems)
	}
	return bt.Block
}

func resource(t *testing.T, s *Schema, typ string) *tfjson.SchemaBlock {
	t.Helper()
	r := s.Resource(typ)
	if r == nil || r.Block == nil {
		t.Fatalf("resource %s missing", typ)
	}
	return r.Block
}

func TestEnsureVersionsAndCache(t *testing.T) {
	_, r := full(t)
	if r.ProviderVersion != "6.66.0" {
		t.Errorf("ProviderVersion = %q, want 6.66.0", r.ProviderVersion)
	}
	if r.PackageVersion != "25.7.0" {
		t.Errorf("PackageVersion = %q, want 25.7.0", r.PackageVersion)
	}
	if !strings.Contains(r.Path, filepath.Join("tfschema", "provider-aws-25.7.0-")) {
		t.Errorf("Path %s is not keyed by package version", r.Path)
	}
	// The second call is a cache hit: no npm, no extraction.
	start := time.Now()
	r2, err := Ensure(context.Background(), func(f string, a ...any) { t.Errorf("cache hit logged: "+f, a...) })
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("cached Ensure took %s", d)
	} else {
		t.Logf("cached Ensure took %s", d)
	}
	if r2.Path != r.Path || r2.ProviderVersion != r.ProviderVersion {
		t.Errorf("cached Ensure = %+v, want %+v", r2, r)
	}
}

func TestECSService(t *testing.T) {
	s, _ := full(t)
	b := resource(t, s, "aws_ecs_service")
	w := "aws_ecs_service"
	wantAttr(t, w, b, "desired_count", `"number"`, "optional")
	wantAttr(t, w, b, "cluster", `"string"`, "optional,computed")
	wantAttr(t, w, b, "name", `"string"`, "required")
	wantAttr(t, w, b, "id", `"string"`, "optional,computed")
	wantAttr(t, w, b, "task_definition", `"string"`, "optional")
	wantAttr(t, w, b, "launch_type", `"string"`, "optional,computed")
	wantAttr(t, w, b, "tags", `["map","string"]`, "optional")
	wantAttr(t, w, b, "tags_all", `["map","string"]`, "optional,computed")
	wantAttr(t, w, b, "wait_for_steady_state", `"bool"`, "optional")

	nc := wantBlock(t, w, b, "network_configuration", tfjson.SchemaNestingModeList, 0, 1)
	wantAttr(t, w+".network_configuration", nc, "subnets", `["set","string"]`, "required")
	wantAttr(t, w+".network_configuration", nc, "security_groups", `["set","string"]`, "optional")
	wantAttr(t, w+".network_configuration", nc, "assign_public_ip", `"bool"`, "optional")

	cb := wantBlock(t, w, b, "deployment_circuit_breaker", tfjson.SchemaNestingModeList, 0, 1)
	wantAttr(t, w+".deployment_circuit_breaker", cb, "enable", `"bool"`, "required")
	wantAttr(t, w+".deployment_circuit_breaker", cb, "rollback", `"bool"`, "required")

	lb := wantBlock(t, w, b, "load_balancer", tfjson.SchemaNestingModeSet, 0, 0)
	wantAttr(t, w+".load_balancer", lb, "container_name", `"string"`, "required")
	wantAttr(t, w+".load_balancer", lb, "container_port", `"number"`, "required")
	wantAttr(t, w+".load_balancer", lb, "target_group_arn", `"string"`, "optional")
	wantBlock(t, w, b, "capacity_provider_strategy", tfjson.SchemaNestingModeSet, 0, 0)
	// Real max_items is 5: limits above 1 are not recoverable (documented).
	wantBlock(t, w, b, "ordered_placement_strategy", tfjson.SchemaNestingModeList, 0, 0)
	wantBlock(t, w, b, "deployment_controller", tfjson.SchemaNestingModeList, 0, 1)

	to := wantBlock(t, w, b, "timeouts", tfjson.SchemaNestingModeSingle, 0, 0)
	for _, n := range []string{"create", "update", "delete"} {
		wantAttr(t, w+".timeouts", to, n, `"string"`, "optional")
	}
}

func TestDBInstance(t *testing.T) {
	s, _ := full(t)
	b := resource(t, s, "aws_db_instance")
	w := "aws_db_instance"
	wantAttr(t, w, b, "instance_class", `"string"`, "required")
	wantAttr(t, w, b, "engine", `"string"`, "optional,computed")
	wantAttr(t, w, b, "allocated_storage", `"number"`, "optional,computed")
	wantAttr(t, w, b, "multi_az", `"bool"`, "optional,computed")
	wantAttr(t, w, b, "vpc_security_group_ids", `["set","string"]`, "optional,computed")
	wantAttr(t, w, b, "address", `"string"`, "computed")
	wantAttr(t, w, b, "endpoint", `"string"`, "computed")
	// A computed-only nested object is an attribute, never a block.
	wantAttr(t, w, b, "listener_endpoint", `["list",["object",{"address":"string","hosted_zone_id":"string","port":"number"}]]`, "computed")
	wantBlock(t, w, b, "timeouts", tfjson.SchemaNestingModeSingle, 0, 0)
}

func TestSecurityGroup(t *testing.T) {
	s, _ := full(t)
	b := resource(t, s, "aws_security_group")
	w := "aws_security_group"
	// ingress/egress are "attributes as blocks" in SDKv2 (ConfigModeAttr):
	// the real schema has them as optional+computed set-of-object attributes.
	rule := `["set",["object",{"cidr_blocks":["list","string"],"description":"string","from_port":"number","ipv6_cidr_blocks":["list","string"],"prefix_list_ids":["list","string"],"protocol":"string","security_groups":["set","string"],"self":"bool","to_port":"number"}]]`
	wantAttr(t, w, b, "ingress", rule, "optional,computed")
	wantAttr(t, w, b, "egress", rule, "optional,computed")
	wantAttr(t, w, b, "name", `"string"`, "optional,computed")
	wantAttr(t, w, b, "vpc_id", `"string"`, "optional,computed")
	wantAttr(t, w, b, "revoke_rules_on_delete", `"bool"`, "optional")
	if len(b.NestedBlocks) != 1 || b.NestedBlocks["timeouts"] == nil {
		t.Errorf("aws_security_group blocks = %v, want only timeouts", keys(b.NestedBlocks))
	}
}

func TestVPCSecurityGroupIngressRule(t *testing.T) {
	s, _ := full(t)
	b := resource(t, s, "aws_vpc_security_group_ingress_rule")
	w := "aws_vpc_security_group_ingress_rule"
	wantAttr(t, w, b, "ip_protocol", `"string"`, "required")
	wantAttr(t, w, b, "security_group_id", `"string"`, "required")
	wantAttr(t, w, b, "cidr_ipv4", `"string"`, "optional")
	wantAttr(t, w, b, "cidr_ipv6", `"string"`, "optional")
	wantAttr(t, w, b, "from_port", `"number"`, "optional")
	wantAttr(t, w, b, "to_port", `"number"`, "optional")
	wantAttr(t, w, b, "referenced_security_group_id", `"string"`, "optional")
	wantAttr(t, w, b, "prefix_list_id", `"string"`, "optional")
	wantAttr(t, w, b, "description", `"string"`, "optional")
	wantAttr(t, w, b, "arn", `"string"`, "computed")
	wantAttr(t, w, b, "id", `"string"`, "computed")
	wantAttr(t, w, b, "security_group_rule_id", `"string"`, "computed")
	wantAttr(t, w, b, "tags", `["map","string"]`, "optional")
	wantAttr(t, w, b, "tags_all", `["map","string"]`, "computed")
}

func TestIAMPolicyDocument(t *testing.T) {
	s, _ := full(t)
	d := s.DataSource("aws_iam_policy_document")
	if d == nil {
		t.Fatal("data source aws_iam_policy_document missing")
	}
	b, w := d.Block, "data.aws_iam_policy_document"
	wantAttr(t, w, b, "json", `"string"`, "computed")
	wantAttr(t, w, b, "minified_json", `"string"`, "computed")
	wantAttr(t, w, b, "source_policy_documents", `["list","string"]`, "optional")
	wantAttr(t, w, b, "version", `"string"`, "optional")
	st := wantBlock(t, w, b, "statement", tfjson.SchemaNestingModeList, 0, 0)
	w += ".statement"
	wantAttr(t, w, st, "sid", `"string"`, "optional")
	wantAttr(t, w, st, "effect", `"string"`, "optional")
	wantAttr(t, w, st, "actions", `["set","string"]`, "optional")
	wantAttr(t, w, st, "resources", `["set","string"]`, "optional")
	pr := wantBlock(t, w, st, "principals", tfjson.SchemaNestingModeSet, 0, 0)
	wantAttr(t, w+".principals", pr, "type", `"string"`, "required")
	wantAttr(t, w+".principals", pr, "identifiers", `["set","string"]`, "required")
	co := wantBlock(t, w, st, "condition", tfjson.SchemaNestingModeSet, 0, 0)
	wantAttr(t, w+".condition", co, "test", `"string"`, "required")
	wantAttr(t, w+".condition", co, "variable", `"string"`, "required")
	wantAttr(t, w+".condition", co, "values", `["list","string"]`, "required")
}

func TestS3AndECR(t *testing.T) {
	s, _ := full(t)
	b := resource(t, s, "aws_s3_bucket")
	wantAttr(t, "aws_s3_bucket", b, "bucket", `"string"`, "optional,computed")
	wantAttr(t, "aws_s3_bucket", b, "arn", `"string"`, "computed")
	wantAttr(t, "aws_s3_bucket", b, "force_destroy", `"bool"`, "optional")
	if s.DataSource("aws_s3_bucket") == nil {
		t.Error("data source aws_s3_bucket missing")
	}
	for _, r := range []string{"aws_s3_bucket_versioning", "aws_s3_bucket_public_access_block", "aws_s3_bucket_server_side_encryption_configuration"} {
		if s.Resource(r) == nil {
			t.Errorf("resource %s missing", r)
		}
	}

	e := resource(t, s, "aws_ecr_repository")
	wantAttr(t, "aws_ecr_repository", e, "name", `"string"`, "required")
	wantAttr(t, "aws_ecr_repository", e, "image_tag_mutability", `"string"`, "optional")
	wantAttr(t, "aws_ecr_repository", e, "repository_url", `"string"`, "computed")
	isc := wantBlock(t, "aws_ecr_repository", e, "image_scanning_configuration", tfjson.SchemaNestingModeList, 0, 1)
	wantAttr(t, "aws_ecr_repository.image_scanning_configuration", isc, "scan_on_push", `"bool"`, "required")
}

func TestCloudFrontDistribution(t *testing.T) {
	s, _ := full(t)
	b, w := resource(t, s, "aws_cloudfront_distribution"), "aws_cloudfront_distribution"
	wantAttr(t, w, b, "enabled", `"bool"`, "required")
	wantAttr(t, w, b, "domain_name", `"string"`, "computed")
	wantAttr(t, w, b, "aliases", `["set","string"]`, "optional")
	o := wantBlock(t, w, b, "origin", tfjson.SchemaNestingModeSet, 1, 0)
	wantAttr(t, w+".origin", o, "domain_name", `"string"`, "required")
	wantAttr(t, w+".origin", o, "origin_id", `"string"`, "required")
	dcb := wantBlock(t, w, b, "default_cache_behavior", tfjson.SchemaNestingModeList, 1, 1)
	wantAttr(t, w+".default_cache_behavior", dcb, "allowed_methods", `["set","string"]`, "required")
	wantAttr(t, w+".default_cache_behavior", dcb, "target_origin_id", `"string"`, "required")
	wantAttr(t, w+".default_cache_behavior", dcb, "viewer_protocol_policy", `"string"`, "required")
	wantBlock(t, w, b, "ordered_cache_behavior", tfjson.SchemaNestingModeList, 0, 0)
	wantBlock(t, w, b, "restrictions", tfjson.SchemaNestingModeList, 1, 1)
	wantBlock(t, w, b, "viewer_certificate", tfjson.SchemaNestingModeList, 1, 1)
	wantBlock(t, w, b, "custom_error_response", tfjson.SchemaNestingModeSet, 0, 0)
}

func TestProviderConfig(t *testing.T) {
	s, _ := full(t)
	p := s.AWS().ConfigSchema
	if p == nil {
		t.Fatal("no provider schema")
	}
	b := p.Block
	wantAttr(t, "provider", b, "region", `"string"`, "optional")
	wantAttr(t, "provider", b, "skip_credentials_validation", `"bool"`, "optional")
	wantAttr(t, "provider", b, "allowed_account_ids", `["set","string"]`, "optional")
	wantAttr(t, "provider", b, "max_retries", `"number"`, "optional")
	if b.Attributes["alias"] != nil {
		t.Error("provider schema has alias (a meta-argument, not a provider argument)")
	}
	dt := wantBlock(t, "provider", b, "default_tags", tfjson.SchemaNestingModeList, 0, 0)
	wantAttr(t, "provider.default_tags", dt, "tags", `["map","string"]`, "optional")
	ar := wantBlock(t, "provider", b, "assume_role", tfjson.SchemaNestingModeList, 0, 0)
	wantAttr(t, "provider.assume_role", ar, "role_arn", `"string"`, "optional")
	wantBlock(t, "provider", b, "endpoints", tfjson.SchemaNestingModeSet, 0, 0)
}

var snake = regexp.MustCompile(`^[a-z0-9_]+$`)

func TestWholeSchema(t *testing.T) {
	s, _ := full(t)
	p := s.AWS()
	if n := len(p.ResourceSchemas); n < 1300 {
		t.Errorf("%d resources, want > 1300", n)
	}
	if n := len(p.DataSourceSchemas); n < 500 {
		t.Errorf("%d data sources, want > 500", n)
	}
	if s.FormatVersion != "1.0" {
		t.Errorf("format_version %q", s.FormatVersion)
	}
	// Every name is snake_case, every attribute has a type and a flag.
	attrs := 0
	var walk func(string, *tfjson.SchemaBlock)
	walk = func(at string, b *tfjson.SchemaBlock) {
		for n, a := range b.Attributes {
			attrs++
			if !snake.MatchString(n) {
				t.Errorf("%s: attribute name %q is not snake_case", at, n)
			}
			if a.AttributeType == cty.NilType {
				t.Errorf("%s.%s: no type", at, n)
			}
			if !a.Required && !a.Optional && !a.Computed {
				t.Errorf("%s.%s: no flag", at, n)
			}
		}
		for n, bt := range b.NestedBlocks {
			if !snake.MatchString(n) {
				t.Errorf("%s: block name %q is not snake_case", at, n)
			}
			walk(at+"."+n, bt.Block)
		}
	}
	for n, r := range p.ResourceSchemas {
		if !strings.HasPrefix(n, "aws_") {
			t.Errorf("resource %q", n)
		}
		walk(n, r.Block)
	}
	for n, d := range p.DataSourceSchemas {
		if !strings.HasPrefix(n, "aws_") {
			t.Errorf("data source %q", n)
		}
		walk("data."+n, d.Block)
	}
	// The prototype counted 37,536 attributes for 6.47; 6.66 has more.
	if attrs < 35000 {
		t.Errorf("%d attributes, want > 35000", attrs)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("schema fails OpenTofu's rules:\n%v", err)
	}
}

func TestSubset(t *testing.T) {
	s, _ := full(t)
	sub, err := s.Subset("aws_ecs_service", "data.aws_iam_policy_document", "aws_s3_bucket")
	if err != nil {
		t.Fatal(err)
	}
	p := sub.AWS()
	if got := keys(p.ResourceSchemas); strings.Join(got, " ") != "aws_ecs_service aws_s3_bucket" {
		t.Errorf("subset resources = %v", got)
	}
	if got := keys(p.DataSourceSchemas); strings.Join(got, " ") != "aws_iam_policy_document" {
		t.Errorf("subset data sources = %v", got)
	}
	if p.ConfigSchema == nil || p.ConfigSchema.Block.Attributes["region"] == nil {
		t.Error("subset lost the provider configuration")
	}
	path := filepath.Join(t.TempDir(), "subset.json")
	if err := sub.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(sub)
	b, _ := json.Marshal(back)
	if string(a) != string(b) {
		t.Error("subset does not round-trip through WriteFile/Load")
	}
	if !strings.Contains(string(a), `"format_version":"1.0","provider_schemas":{"registry.terraform.io/hashicorp/aws":{"provider":`) {
		t.Errorf("subset JSON does not start like `providers schema -json`: %.120s", a)
	}
	if len(a) > 200_000 {
		t.Errorf("3-type subset is %d bytes", len(a))
	}

	if _, err := s.Subset("aws_ecs_service", "aws_nope", "data.aws_ecs_service_nope"); err == nil ||
		!strings.Contains(err.Error(), "aws_nope") || !strings.Contains(err.Error(), "data.aws_ecs_service_nope") {
		t.Errorf("Subset with unknown types: err = %v", err)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// BenchmarkExtract measures a cold extraction from the cached tarball
// (go test -run '^$' -bench Extract ./magefiles/tfschema/).
func BenchmarkExtract(b *testing.B) {
	tgz, err := fetchPackage(context.Background(), b.Logf)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, _, err := extractFile(context.Background(), tgz); err != nil {
			b.Fatal(err)
		}
	}
}

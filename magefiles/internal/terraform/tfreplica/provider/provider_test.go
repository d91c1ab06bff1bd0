package provider

import (
	"context"
	"encoding/json"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/zclconf/go-cty/cty"

	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfreplica/schemaindex"
)

func loadTestSchema(t *testing.T) *Schema {
	t.Helper()
	s, err := LoadSchema("testdata/schema.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// obj builds a value of an object type, attributes not given being null.
func obj(t tftypes.Type, set map[string]tftypes.Value) tftypes.Value {
	o := t.(tftypes.Object)
	m := map[string]tftypes.Value{}
	for k, at := range o.AttributeTypes {
		if v, ok := set[k]; ok {
			m[k] = v
		} else {
			m[k] = tftypes.NewValue(at, nil)
		}
	}
	return tftypes.NewValue(o, m)
}

func str(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }

func strMap(kv ...string) tftypes.Value {
	m := map[string]tftypes.Value{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = str(kv[i+1])
	}
	return tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, m)
}

func dyn(t *testing.T, typ tftypes.Type, v tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

func attrs(t *testing.T, typ tftypes.Type, dv *tfprotov6.DynamicValue) map[string]tftypes.Value {
	t.Helper()
	if dv == nil {
		t.Fatal("no value returned")
	}
	v, err := dv.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]tftypes.Value{}
	if err := v.As(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func noDiags(t *testing.T, diags []*tfprotov6.Diagnostic) {
	t.Helper()
	for _, d := range diags {
		t.Fatalf("diagnostic: %s: %s", d.Summary, d.Detail)
	}
}

// configured returns a server configured like
// provider "aws" { region = "us-west-2" default_tags { tags = {Project = "equiptrack", Environment = "dev"} } }.
func configured(t *testing.T) *Server {
	t.Helper()
	s := loadTestSchema(t)
	srv := NewServer(s)
	pt := ValueType(s.Provider.Block)
	dtType := pt.(tftypes.Object).AttributeTypes["default_tags"].(tftypes.List)
	cfg := obj(pt, map[string]tftypes.Value{
		"region": str("us-west-2"),
		"default_tags": tftypes.NewValue(dtType, []tftypes.Value{
			obj(dtType.ElementType, map[string]tftypes.Value{"tags": strMap("Project", "equiptrack", "Environment", "dev")}),
		}),
	})
	resp, err := srv.ConfigureProvider(context.Background(), &tfprotov6.ConfigureProviderRequest{Config: dyn(t, pt, cfg)})
	if err != nil {
		t.Fatal(err)
	}
	noDiags(t, resp.Diagnostics)
	return srv
}

func TestTFType(t *testing.T) {
	objTy := cty.ObjectWithOptionalAttrs(map[string]cty.Type{"a": cty.String, "b": cty.Number}, []string{"b"})
	tests := []struct {
		in       cty.Type
		optional bool
		want     tftypes.Type
	}{
		{cty.String, false, tftypes.String},
		{cty.List(cty.Number), false, tftypes.List{ElementType: tftypes.Number}},
		{cty.Set(cty.Bool), false, tftypes.Set{ElementType: tftypes.Bool}},
		{cty.Map(cty.DynamicPseudoType), false, tftypes.Map{ElementType: tftypes.DynamicPseudoType}},
		{cty.Tuple([]cty.Type{cty.String, cty.Number}), false, tftypes.Tuple{ElementTypes: []tftypes.Type{tftypes.String, tftypes.Number}}},
		{objTy, true, tftypes.Object{AttributeTypes: map[string]tftypes.Type{"a": tftypes.String, "b": tftypes.Number}, OptionalAttributes: map[string]struct{}{"b": {}}}},
		// Values never carry optional markers (terraform-plugin-go panics on them).
		{objTy, false, tftypes.Object{AttributeTypes: map[string]tftypes.Type{"a": tftypes.String, "b": tftypes.Number}}},
	}
	for _, tc := range tests {
		if got := TFType(tc.in, tc.optional); !got.Equal(tc.want) {
			t.Errorf("TFType(%s, %v) = %s, want %s", tc.in.FriendlyName(), tc.optional, got, tc.want)
		}
	}
}

func TestParseSchemaAdjustments(t *testing.T) {
	s := loadTestSchema(t)
	rg := s.Resources["aws_wafv2_rule_group"]
	// OpenTofu rejects dynamic types inside set blocks: the block became a list.
	if got := rg.Block.NestedBlocks["rule"].NestingMode; got != tfjson.SchemaNestingModeList {
		t.Errorf("rule nesting = %s, want list", got)
	}
	// A list block holding a dynamic attribute travels as a dynamic value.
	if got := ValueType(rg.Block).(tftypes.Object).AttributeTypes["rule"]; !got.Is(tftypes.DynamicPseudoType) {
		t.Errorf("rule value type = %s, want dynamic", got)
	}
	// The protocol schema keeps optional attribute markers.
	var settings *tfprotov6.SchemaAttribute
	for _, a := range Proto(rg).Block.Attributes {
		if a.Name == "settings" {
			settings = a
		}
	}
	if settings == nil {
		t.Fatal("settings missing from the protocol schema")
	}
	if _, ok := settings.Type.(tftypes.Object).OptionalAttributes["limit"]; !ok {
		t.Errorf("settings lost its optional marker: %s", settings.Type)
	}
	// A set block without dynamic types stays a set.
	if got := s.Resources["aws_security_group"].Block.NestedBlocks["ingress"].NestingMode; got != tfjson.SchemaNestingModeSet {
		t.Errorf("ingress nesting = %s, want set", got)
	}
}

func TestParseSchemaRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"not json":      `{`,
		"wrong format":  `{"format_version":"2.0","provider_schemas":{}}`,
		"no aws":        `{"format_version":"1.0","provider_schemas":{"a":{},"b":{}}}`,
		"block missing": `{"format_version":"1.0","provider_schemas":{"registry.terraform.io/hashicorp/aws":{"resource_schemas":{"aws_x":{"version":0}}}}}`,
		"bad attr type": `{"format_version":"1.0","provider_schemas":{"registry.terraform.io/hashicorp/aws":{"resource_schemas":{"aws_x":{"block":{"attributes":{"a":{"type":"strin"}}}}}}}}`,
	} {
		if _, err := ParseSchema([]byte(doc), nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestKeepSelectsTypes(t *testing.T) {
	s, err := LoadSchema("testdata/schema.json", func(n string) bool { return n == "aws_iam_role" || n == "aws_region" })
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Resources) != 1 || s.Resources["aws_iam_role"] == nil || len(s.DataSources) != 1 || s.DataSources["aws_region"] == nil {
		t.Fatalf("resources %v, data sources %v", slices.Sorted(maps.Keys(s.Resources)), slices.Sorted(maps.Keys(s.DataSources)))
	}
}

func TestPlanFillsRegionTagsAllAndUnknowns(t *testing.T) {
	srv := configured(t)
	typ := ValueType(srv.schema.Resources["aws_cloudwatch_log_group"].Block)
	proposed := obj(typ, map[string]tftypes.Value{
		"name":              str("/ecs/app"),
		"retention_in_days": tftypes.NewValue(tftypes.Number, big.NewFloat(7)),
		"tags":              strMap("Name", "app", "Project", "override"),
	})
	resp, err := srv.PlanResourceChange(context.Background(), &tfprotov6.PlanResourceChangeRequest{
		TypeName: "aws_cloudwatch_log_group", ProposedNewState: dyn(t, typ, proposed), Config: dyn(t, typ, proposed),
		PriorState: dyn(t, typ, tftypes.NewValue(typ, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	noDiags(t, resp.Diagnostics)
	m := attrs(t, typ, resp.PlannedState)
	if !m["region"].Equal(str("us-west-2")) {
		t.Errorf("region = %s", m["region"])
	}
	if want := strMap("Environment", "dev", "Project", "override", "Name", "app"); !m["tags_all"].Equal(want) {
		t.Errorf("tags_all = %s, want %s", m["tags_all"], want)
	}
	for _, k := range []string{"arn", "id"} {
		if m[k].IsKnown() {
			t.Errorf("%s = %s, want unknown", k, m[k])
		}
	}
	if !m["name"].Equal(str("/ecs/app")) || !m["skip_destroy"].IsNull() {
		t.Errorf("configured or optional non-computed values changed: name %s, skip_destroy %s", m["name"], m["skip_destroy"])
	}
}

func TestPlanNestedComputedAndDestroy(t *testing.T) {
	srv := configured(t)
	typ := ValueType(srv.schema.Resources["aws_security_group"].Block).(tftypes.Object)
	ingT := typ.AttributeTypes["ingress"].(tftypes.Set)
	rule := obj(ingT.ElementType, map[string]tftypes.Value{
		"from_port": tftypes.NewValue(tftypes.Number, big.NewFloat(443)),
		"to_port":   tftypes.NewValue(tftypes.Number, big.NewFloat(443)),
		"protocol":  str("tcp"),
	})
	proposed := obj(typ, map[string]tftypes.Value{"name": str("web"), "ingress": tftypes.NewValue(ingT, []tftypes.Value{rule})})
	resp, err := srv.PlanResourceChange(context.Background(), &tfprotov6.PlanResourceChangeRequest{
		TypeName: "aws_security_group", ProposedNewState: dyn(t, typ, proposed), Config: dyn(t, typ, proposed),
	})
	if err != nil {
		t.Fatal(err)
	}
	noDiags(t, resp.Diagnostics)
	var rules []tftypes.Value
	if err := attrs(t, typ, resp.PlannedState)["ingress"].As(&rules); err != nil || len(rules) != 1 {
		t.Fatalf("ingress: %v %v", rules, err)
	}
	rm := map[string]tftypes.Value{}
	_ = rules[0].As(&rm)
	if rm["rule_id"].IsKnown() {
		t.Errorf("nested computed rule_id = %s, want unknown", rm["rule_id"])
	}
	// Destroy: a null proposed state plans null.
	resp, err = srv.PlanResourceChange(context.Background(), &tfprotov6.PlanResourceChangeRequest{
		TypeName: "aws_security_group", ProposedNewState: dyn(t, typ, tftypes.NewValue(typ, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if null, _ := resp.PlannedState.IsNull(); !null {
		t.Error("destroy did not plan null")
	}
}

func TestApplyPlaceholdersAreDeterministic(t *testing.T) {
	srv := configured(t)
	typ := ValueType(srv.schema.Resources["aws_cloudwatch_log_group"].Block)
	planned := obj(typ, map[string]tftypes.Value{
		"name":   str("/ecs/app"),
		"arn":    tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
		"id":     tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
		"region": str("us-west-2"),
	})
	apply := func() map[string]tftypes.Value {
		resp, err := srv.ApplyResourceChange(context.Background(), &tfprotov6.ApplyResourceChangeRequest{
			TypeName: "aws_cloudwatch_log_group", PlannedState: dyn(t, typ, planned), Config: dyn(t, typ, planned),
		})
		if err != nil {
			t.Fatal(err)
		}
		noDiags(t, resp.Diagnostics)
		return attrs(t, typ, resp.NewState)
	}
	a, b := apply(), apply()
	var arn, id string
	_ = a["arn"].As(&arn)
	_ = a["id"].As(&id)
	// The shape AWS gives a log group's ARN, with the configured name.
	if arn != "arn:aws:logs:us-west-2:123456789012:log-group:/ecs/app" {
		t.Errorf("arn = %q", arn)
	}
	if !strings.HasPrefix(id, "cloudwatch_log_group-") {
		t.Errorf("id = %q", id)
	}
	if !a["arn"].Equal(b["arn"]) || !a["id"].Equal(b["id"]) {
		t.Errorf("placeholders differ between identical applies: %s/%s vs %s/%s", a["arn"], a["id"], b["arn"], b["id"])
	}
	if !a["retention_in_days"].IsNull() {
		t.Errorf("apply invented a value for an unset optional attribute: %s", a["retention_in_days"])
	}
}

func TestApplyARNShapes(t *testing.T) {
	srv := configured(t)
	typ := ValueType(srv.schema.Resources["aws_iam_role"].Block)
	planned := obj(typ, map[string]tftypes.Value{
		"name":               str("equiptrack-dev-api-task"),
		"assume_role_policy": str("{}"),
		"arn":                tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
		"id":                 tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
	})
	resp, err := srv.ApplyResourceChange(context.Background(), &tfprotov6.ApplyResourceChangeRequest{
		TypeName: "aws_iam_role", PlannedState: dyn(t, typ, planned), Config: dyn(t, typ, planned),
	})
	if err != nil {
		t.Fatal(err)
	}
	noDiags(t, resp.Diagnostics)
	m := attrs(t, typ, resp.NewState)
	// IAM is global: no region in the ARN.
	if !m["arn"].Equal(str("arn:aws:iam::123456789012:role/equiptrack-dev-api-task")) {
		t.Errorf("arn = %s", m["arn"])
	}
	w := walker{env: env{region: "us-east-1"}, typeName: "aws_lb", values: map[string]tftypes.Value{"name": str("equiptrack-staging")}}
	if got := w.arn("0123456789abcdef"); got != "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/equiptrack-staging/0123456789abcdef" {
		t.Errorf("aws_lb arn = %s", got)
	}
	w = walker{env: env{region: "us-west-2"}, typeName: "aws_db_instance"}
	if got := w.placeholderString("secret_arn", []string{"master_user_secret", "0", "secret_arn"}); !strings.HasPrefix(got, "arn:aws:secretsmanager:us-west-2:123456789012:secret:") {
		t.Errorf("master_user_secret.secret_arn = %s", got)
	}
	if got := w.placeholderString("execution_role_arn", []string{"execution_role_arn"}); !strings.HasPrefix(got, "arn:aws:iam::123456789012:role/") {
		t.Errorf("execution_role_arn = %s", got)
	}
	w = walker{env: env{region: "us-west-2"}, typeName: "aws_ecr_repository", values: map[string]tftypes.Value{"name": str("equiptrack/api")}}
	if got := w.placeholderString("repository_url", []string{"repository_url"}); got != "123456789012.dkr.ecr.us-west-2.amazonaws.com/equiptrack/api" {
		t.Errorf("repository_url = %s", got)
	}
}

// readData runs ReadDataSource and returns the state's attributes.
func readData(t *testing.T, srv *Server, name string, set map[string]tftypes.Value) map[string]tftypes.Value {
	t.Helper()
	typ := ValueType(srv.schema.DataSources[name].Block)
	resp, err := srv.ReadDataSource(context.Background(), &tfprotov6.ReadDataSourceRequest{TypeName: name, Config: dyn(t, typ, obj(typ, set))})
	if err != nil {
		t.Fatal(err)
	}
	noDiags(t, resp.Diagnostics)
	return attrs(t, typ, resp.State)
}

func TestPolicyDocumentRendersRealJSON(t *testing.T) {
	srv := configured(t)
	typ := ValueType(srv.schema.DataSources["aws_iam_policy_document"].Block).(tftypes.Object)
	stT := typ.AttributeTypes["statement"].(tftypes.List)
	stO := stT.ElementType.(tftypes.Object)
	pT := stO.AttributeTypes["principals"].(tftypes.Set)
	cT := stO.AttributeTypes["condition"].(tftypes.Set)
	set := func(vals ...string) tftypes.Value {
		var vs []tftypes.Value
		for _, v := range vals {
			vs = append(vs, str(v))
		}
		return tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, vs)
	}
	list := func(vals ...string) tftypes.Value {
		var vs []tftypes.Value
		for _, v := range vals {
			vs = append(vs, str(v))
		}
		return tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, vs)
	}
	trust := obj(stO, map[string]tftypes.Value{
		"actions":    set("sts:AssumeRoleWithWebIdentity"),
		"principals": tftypes.NewValue(pT, []tftypes.Value{obj(pT.ElementType, map[string]tftypes.Value{"type": str("Federated"), "identifiers": set("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com")})}),
		"condition": tftypes.NewValue(cT, []tftypes.Value{obj(cT.ElementType, map[string]tftypes.Value{
			"test": str("StringLike"), "variable": str("token.actions.githubusercontent.com:sub"), "values": list("repo:equiptrack/app:ref:refs/heads/main"),
		})}),
	})
	logs := obj(stO, map[string]tftypes.Value{
		"sid": str("Logs"), "effect": str("Deny"),
		"actions":   set("logs:PutLogEvents", "logs:CreateLogStream"),
		"resources": set("*"),
	})
	m := readData(t, srv, "aws_iam_policy_document", map[string]tftypes.Value{"statement": tftypes.NewValue(stT, []tftypes.Value{trust, logs})})
	var got string
	if err := m["minified_json"].As(&got); err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:equiptrack/app:ref:refs/heads/main"}}},` +
		`{"Sid":"Logs","Effect":"Deny","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`
	if got != want {
		t.Errorf("minified_json:\n got %s\nwant %s", got, want)
	}
	var pretty string
	_ = m["json"].As(&pretty)
	var a, b any
	if err := json.Unmarshal([]byte(pretty), &a); err != nil {
		t.Fatalf("json is not JSON: %v", err)
	}
	_ = json.Unmarshal([]byte(want), &b)
	if !strings.Contains(pretty, "\n  \"Statement\": [") || !jsonEqual(a, b) {
		t.Errorf("json is not the indented form of the policy:\n%s", pretty)
	}
	if !m["id"].IsKnown() || m["id"].IsNull() {
		t.Error("id not set")
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestPolicyDocumentOverride(t *testing.T) {
	doc, err := policyDocument(env{}, map[string]any{
		"source_policy_documents":   []any{`{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`},
		"override_policy_documents": []any{`{"Statement":{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}}`},
		"statement":                 []any{map[string]any{"sid": "B", "actions": []any{"sqs:SendMessage"}, "resources": []any{"*"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"},{"Sid":"B","Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}`
	if doc["minified_json"] != want {
		t.Errorf("got  %s\nwant %s", doc["minified_json"], want)
	}
	if _, err := policyDocument(env{}, map[string]any{"source_policy_documents": []any{"not json"}}); err == nil {
		t.Error("a source document that is not JSON was accepted")
	}
}

func TestLocalDataSourcesFollowRegion(t *testing.T) {
	srv := configured(t)
	az := readData(t, srv, "aws_availability_zones", nil)
	wantNames := tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, []tftypes.Value{str("us-west-2a"), str("us-west-2b"), str("us-west-2c")})
	if !az["names"].Equal(wantNames) {
		t.Errorf("names = %s", az["names"])
	}
	wantIDs := tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, []tftypes.Value{str("usw2-az1"), str("usw2-az2"), str("usw2-az3")})
	if !az["zone_ids"].Equal(wantIDs) {
		t.Errorf("zone_ids = %s", az["zone_ids"])
	}
	r := readData(t, srv, "aws_region", nil)
	if !r["region"].Equal(str("us-west-2")) || !r["name"].Equal(str("us-west-2")) || !r["description"].Equal(str("US West (Oregon)")) {
		t.Errorf("aws_region = %v", r)
	}
	r = readData(t, srv, "aws_region", map[string]tftypes.Value{"region": str("us-east-1")})
	if !r["endpoint"].Equal(str("ec2.us-east-1.amazonaws.com")) {
		t.Errorf("aws_region with region = us-east-1: endpoint %s", r["endpoint"])
	}
	me := readData(t, srv, "aws_caller_identity", nil)
	if !me["account_id"].Equal(str("123456789012")) {
		t.Errorf("account_id = %s", me["account_id"])
	}
	p := readData(t, srv, "aws_partition", nil)
	if !p["dns_suffix"].Equal(str("amazonaws.com")) || !p["partition"].Equal(str("aws")) {
		t.Errorf("aws_partition = %v", p)
	}
	// Any other data source: placeholders, wholly known.
	vpc := readData(t, srv, "aws_vpc", map[string]tftypes.Value{"tags": strMap("Name", "main")})
	for k, v := range vpc {
		if !v.IsFullyKnown() || v.IsNull() {
			t.Errorf("aws_vpc.%s = %s, want a known placeholder", k, v)
		}
	}
	if !vpc["tags"].Equal(strMap("Name", "main")) {
		t.Errorf("configured tags changed: %s", vpc["tags"])
	}
}

// The regions of the two environments must differ in every value the
// replica derives from the provider's region.
func TestRegionDefaultsFromEnvironment(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "eu-central-1")
	srv := NewServer(loadTestSchema(t))
	r := readData(t, srv, "aws_region", nil)
	if !r["region"].Equal(str("eu-central-1")) {
		t.Errorf("region = %s", r["region"])
	}
}

func TestDynamicListBlockRoundTrip(t *testing.T) {
	srv := configured(t)
	typ := ValueType(srv.schema.Resources["aws_wafv2_rule_group"].Block)
	// OpenTofu sends a list block with a dynamic attribute as a tuple.
	elemT := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"name": tftypes.String, "statement": tftypes.DynamicPseudoType}}
	ruleObj := tftypes.NewValue(elemT, map[string]tftypes.Value{
		"name":      str("r1"),
		"statement": tftypes.NewValue(tftypes.Object{AttributeTypes: map[string]tftypes.Type{"a": tftypes.Number}}, map[string]tftypes.Value{"a": tftypes.NewValue(tftypes.Number, big.NewFloat(1))}),
	})
	rules := tftypes.NewValue(tftypes.Tuple{ElementTypes: []tftypes.Type{elemT}}, []tftypes.Value{ruleObj})
	proposed := obj(typ, map[string]tftypes.Value{"name": str("rg"), "rule": rules})
	resp, err := srv.PlanResourceChange(context.Background(), &tfprotov6.PlanResourceChangeRequest{
		TypeName: "aws_wafv2_rule_group", ProposedNewState: dyn(t, typ, proposed), Config: dyn(t, typ, proposed),
	})
	if err != nil {
		t.Fatal(err)
	}
	noDiags(t, resp.Diagnostics)
	m := attrs(t, typ, resp.PlannedState)
	if m["id"].IsKnown() {
		t.Errorf("id = %s, want unknown", m["id"])
	}
	var elems []tftypes.Value
	if err := m["rule"].As(&elems); err != nil || len(elems) != 1 {
		t.Fatalf("rule = %s (%v)", m["rule"], err)
	}
}

func TestUnknownTypeIsADiagnostic(t *testing.T) {
	srv := configured(t)
	typ := ValueType(srv.schema.Resources["aws_iam_role"].Block)
	resp, err := srv.PlanResourceChange(context.Background(), &tfprotov6.PlanResourceChangeRequest{
		TypeName: "aws_nope", ProposedNewState: dyn(t, typ, tftypes.NewValue(typ, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Summary != "aws schema replica: unknown resource type aws_nope" {
		t.Fatalf("diagnostics = %v", resp.Diagnostics)
	}
}

func TestInstanceTypeOfferingsByZoneID(t *testing.T) {
	got, err := localDataSources["aws_ec2_instance_type_offerings"](env{region: "us-east-1"}, map[string]any{
		"location_type": "availability-zone-id",
		"filter":        []any{map[string]any{"name": "instance-type", "values": []any{"t4g.nano"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id":             "us-east-1",
		"instance_types": []any{"t4g.nano", "t4g.nano", "t4g.nano"},
		"locations":      []any{"use1-az1", "use1-az2", "use1-az3"},
		"location_types": []any{"availability-zone-id", "availability-zone-id", "availability-zone-id"},
	}
	if !jsonEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// With an index beside the schema, a start reads only the selected types
// from their offsets: the same schema as a scan of the whole document.
func TestIndexedLoadReadsWhatTheScanReads(t *testing.T) {
	b, err := os.ReadFile("testdata/schema.json")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), SchemaFileName)
	idx, err := schemaindex.Build(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	keep := func(n string) bool { return n == "aws_iam_role" || n == "aws_wafv2_rule_group" || n == "aws_region" }
	scanned, err := ParseSchema(b, keep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+schemaindex.Suffix, idx, 0o644); err != nil {
		t.Fatal(err)
	}
	indexed, err := LoadSchema(path, keep)
	if err != nil {
		t.Fatal(err)
	}
	if len(indexed.Resources) != 2 || len(indexed.DataSources) != 1 || !reflect.DeepEqual(indexed, scanned) {
		t.Errorf("indexed load: resources %v, data sources %v; differs from the scan: %v",
			slices.Sorted(maps.Keys(indexed.Resources)), slices.Sorted(maps.Keys(indexed.DataSources)), !reflect.DeepEqual(indexed, scanned))
	}
	// An index left from another schema is reported, not trusted.
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSchema(path, keep); err == nil || !strings.Contains(err.Error(), "made for a schema of") {
		t.Errorf("stale index: %v", err)
	}
}

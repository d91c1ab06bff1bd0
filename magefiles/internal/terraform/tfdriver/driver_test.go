package tfdriver

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-exec/tfexec"
	tfjson "github.com/hashicorp/terraform-json"

	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfreplica"
)

// Pure functions: what will run, tested without running anything.

func TestCommandEnv(t *testing.T) {
	environ := []string{"HOME=/root", "TF_LOG=DEBUG", "TF_PLUGIN_CACHE_DIR=/pc", "TF_CLI_CONFIG_FILE=/nonexistent/rc", "TFREPLICA_TYPES=/stale", "TF_VAR_x=1", "BROKEN"}
	m := &tfreplica.Mirror{CLIConfig: "/cache/mirror.tfrc"}
	got := commandEnv(environ, m, "/scratch/types")
	want := map[string]string{
		"HOME":               "/root",
		"TF_CLI_CONFIG_FILE": "/cache/mirror.tfrc",
		"CHECKPOINT_DISABLE": "1",
		"TFREPLICA_TYPES":    "/scratch/types",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("offline:\n got %v\nwant %v", got, want)
	}
	// Online: a preset config file that does not exist is neutralised, the
	// replica's type list never leaks.
	got = commandEnv(environ, nil, "/scratch/types")
	want = map[string]string{"HOME": "/root", "TF_CLI_CONFIG_FILE": os.DevNull, "CHECKPOINT_DISABLE": "1", "TF_PLUGIN_CACHE_DIR": "/pc"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("online:\n got %v\nwant %v", got, want)
	}
}

func TestInitOptions(t *testing.T) {
	files := []string{"dev.s3.tfbackend"}
	tests := []struct {
		declared bool
		backend  Backend
		want     []tfexec.InitOption
	}{
		{true, skipBackend, []tfexec.InitOption{tfexec.Upgrade(false), tfexec.Backend(false)}},
		{true, useBackend, []tfexec.InitOption{tfexec.Upgrade(false), tfexec.BackendConfig("dev.s3.tfbackend")}},
		{false, useBackend, []tfexec.InitOption{tfexec.Upgrade(false)}},
		{false, skipBackend, []tfexec.InitOption{tfexec.Upgrade(false)}},
	}
	for _, tc := range tests {
		if got := initOptions(tc.declared, tc.backend, files); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("initOptions(%v, %v) = %#v, want %#v", tc.declared, tc.backend, got, tc.want)
		}
	}
}

func TestPlanOptions(t *testing.T) {
	got := planOptions("/tmp/p.tfplan", []string{"dev.tfvars"}, map[string]string{"b": "2", "a": "1"})
	want := []tfexec.PlanOption{tfexec.Out("/tmp/p.tfplan"), tfexec.Refresh(true), tfexec.VarFile("dev.tfvars"), tfexec.Var("a=1"), tfexec.Var("b=2")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("planOptions = %#v\nwant %#v", got, want)
	}
}

func TestTestArgs(t *testing.T) {
	got := testArgs([]string{"tests/a.tftest.hcl"}, map[string]string{"name": "x"})
	want := []string{"test", "-no-color", "-filter=tests/a.tftest.hcl", "-var=name=x"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("testArgs = %q, want %q", got, want)
	}
}

func TestDiagnosticsText(t *testing.T) {
	diags := []tfjson.Diagnostic{
		{Severity: tfjson.DiagnosticSeverityWarning, Summary: "ignored"},
		{Severity: tfjson.DiagnosticSeverityError, Summary: "Unsupported argument", Detail: "An argument named \"x\" is\nnot expected here.",
			Range: &tfjson.Range{Filename: "main.tf", Start: tfjson.Pos{Line: 4}}},
		{Severity: tfjson.DiagnosticSeverityError, Summary: "No range"},
	}
	want := "main.tf:4: Unsupported argument: An argument named \"x\" is not expected here.\nNo range"
	if got := diagnosticsText(diags); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestDecodeOutputs(t *testing.T) {
	outs := map[string]tfexec.OutputMeta{
		"region":   {Value: json.RawMessage(`"us-east-1"`)},
		"services": {Value: json.RawMessage(`{"api":{"desired":2}}`)},
	}
	var got struct {
		Region   string `json:"region"`
		Services map[string]struct {
			Desired int `json:"desired"`
		} `json:"services"`
	}
	if err := decodeOutputs(outs, &got); err != nil {
		t.Fatal(err)
	}
	if got.Region != "us-east-1" || got.Services["api"].Desired != 2 {
		t.Errorf("decoded %+v", got)
	}
	var wrong struct {
		Region int `json:"region"`
	}
	if err := decodeOutputs(outs, &wrong); err == nil {
		t.Error("a string output decoded into an int")
	}
}

func TestSummary(t *testing.T) {
	rc := func(addr string, actions ...tfjson.Action) *tfjson.ResourceChange {
		mode, typ := tfjson.ManagedResourceMode, ""
		parts := strings.Split(addr, ".")
		if parts[0] == "data" {
			mode = tfjson.DataResourceMode
		}
		typ = parts[len(parts)-2]
		return &tfjson.ResourceChange{Address: addr, Mode: mode, Type: typ, Change: &tfjson.Change{Actions: actions}}
	}
	p := &tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{
		rc("module.b.aws_iam_role.this", tfjson.ActionCreate),
		rc("module.c.aws_iam_role.this", tfjson.ActionCreate),
		rc("aws_s3_bucket.a", tfjson.ActionCreate),
		rc("aws_ecs_service.api", tfjson.ActionUpdate),
		rc("aws_db_instance.main", tfjson.ActionDelete, tfjson.ActionCreate),
		rc("aws_sqs_queue.old", tfjson.ActionDelete),
		rc("aws_vpc.main", tfjson.ActionNoop),
		rc("data.aws_region.current", tfjson.ActionRead),
	}, OutputChanges: map[string]*tfjson.Change{"url": {}}}
	want := "3 to add, 1 to change, 1 to replace, 1 to destroy (1 data sources read at apply); 1 outputs\n" +
		"by type: 2 aws_iam_role, 1 aws_db_instance, 1 aws_ecs_service, 1 aws_s3_bucket, 1 aws_sqs_queue\n" +
		"  -/+ aws_db_instance.main\n" +
		"  ~   aws_ecs_service.api\n" +
		"  +   aws_s3_bucket.a\n" +
		"  -   aws_sqs_queue.old\n" +
		"  +   module.b.aws_iam_role.this\n" +
		"  +   module.c.aws_iam_role.this"
	if got := Summary(p); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestDiscover(t *testing.T) {
	got, err := discover("testdata/tree")
	if err != nil {
		t.Fatal(err)
	}
	want := []Target{
		{Rel: "envs/dev", Kind: KindRoot},
		{Rel: "envs/staging", Kind: KindRoot},
		{Rel: "modules/app", Kind: KindModule, HasTests: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("discover = %+v\nwant %+v", got, want)
	}
	// A tree without modules must fail, not pass vacuously.
	empty := t.TempDir()
	if err := os.MkdirAll(filepath.Join(empty, "envs", "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(empty, "envs", "dev", "main.tf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := discover(empty); err == nil || !strings.Contains(err.Error(), "no module found under modules/") {
		t.Errorf("tree without modules: err = %v", err)
	}
	if _, err := discover(filepath.Join(empty, "missing")); err == nil {
		t.Error("missing tree accepted")
	}
}

func TestScratchLeavesOutLockAndState(t *testing.T) {
	dir, cleanup, err := Scratch("testdata/tree", DropLocks)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if _, err := os.Stat(filepath.Join(dir, "envs", "dev", ".terraform.lock.hcl")); !os.IsNotExist(err) {
		t.Errorf("lock file copied (stat err %v)", err)
	}
	a, _ := os.ReadFile("testdata/tree/modules/app/tests/app.tftest.hcl")
	b, err := os.ReadFile(filepath.Join(dir, "modules", "app", "tests", "app.tftest.hcl"))
	if err != nil || string(a) != string(b) || len(a) == 0 {
		t.Errorf("test file not copied intact (%v)", err)
	}
	cleanup()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cleanup left %s", dir)
	}
	// Online, the committed lock file travels (init verifies it).
	dir, cleanup2, err := Scratch("testdata/tree", KeepLocks)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup2()
	if _, err := os.Stat(filepath.Join(dir, "envs", "dev", ".terraform.lock.hcl")); err != nil {
		t.Errorf("keepLocks: lock file not copied: %v", err)
	}
}

func TestUsedTypes(t *testing.T) {
	got, err := usedTypes("testdata/tree")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"aws_caller_identity", "aws_cloudwatch_log_group", "aws_iam_policy_document", "aws_iam_role", "aws_region"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("usedTypes = %q, want %q", got, want)
	}
}

func TestHasBackend(t *testing.T) {
	for dir, want := range map[string]bool{"testdata/tree/envs/dev": true, "testdata/tree/modules/app": false} {
		got, err := hasBackend(dir)
		if err != nil || got != want {
			t.Errorf("hasBackend(%s) = %v, %v; want %v", dir, got, err, want)
		}
	}
}

func TestTerraformCompat(t *testing.T) {
	clean, err := terraformCompat("testdata/tree")
	if err != nil || len(clean) != 0 {
		t.Fatalf("testdata/tree: %v %v", clean, err)
	}
	got, err := terraformCompat("testdata/tofuonly")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, i := range got {
		lines = append(lines, i.String())
	}
	want := []string{
		"extra.tofu:1: OpenTofu-only file extension (Terraform ignores the file)",
		`main.tf:3: backend argument "key" is not a literal: Terraform does not evaluate expressions there`,
		"main.tf:9: terraform { encryption } is OpenTofu-only (state encryption)",
		"main.tf:16: deprecated on a variable is OpenTofu-only",
		"main.tf:20: for_each on a provider block is OpenTofu-only",
		"main.tf:26: module source is not a literal string: Terraform requires one",
		"main.tf:32: lifecycle { enabled } is OpenTofu-only: use count = condition ? 1 : 0",
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestCheckEnv(t *testing.T) {
	if err := CheckEnv("testdata/tree", "staging"); err != nil {
		t.Errorf("staging: %v", err)
	}
	for env, want := range map[string]string{
		"prod":     `plan: no environment "prod" under testdata/tree/envs (have: dev, staging)`,
		"Bad Name": `plan: environment "Bad Name": want a name like dev or staging`,
		"../envs":  `plan: environment "../envs": want a name like dev or staging`,
	} {
		if err := CheckEnv("testdata/tree", env); err == nil || err.Error() != want {
			t.Errorf("CheckEnv(%q) = %v, want %s", env, err, want)
		}
	}
}

func TestBackendPairsSorted(t *testing.T) {
	got := BackendPairs(map[string]string{"region": "us-east-1", "bucket": "equiptrack-tfstate-123456789012"})
	want := []tfexec.InitOption{tfexec.BackendConfig("bucket=equiptrack-tfstate-123456789012"), tfexec.BackendConfig("region=us-east-1")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("BackendPairs = %v, want %v", got, want)
	}
	if BackendPairs(nil) != nil {
		t.Error("no pairs for no settings")
	}
}

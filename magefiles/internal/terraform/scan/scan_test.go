package scan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/cachedir"
)

func TestTrivyArgs(t *testing.T) {
	got := trivyArgs("/repo/terraform", []string{"/repo/terraform/envs/dev/terraform.tfvars"}, []string{"envs/staging", "envs/dev"})
	want := []string{"-tf-vars", "/repo/terraform/envs/dev/terraform.tfvars", "-skip-dirs", "envs/staging", "-skip-dirs", "envs/dev", "/repo/terraform"}
	if !slices.Equal(got, want) {
		t.Errorf("trivyArgs = %q, want %q", got, want)
	}
	if got := trivyArgs("/d", nil, nil); !slices.Equal(got, []string{"/d"}) {
		t.Errorf("trivyArgs without tfvars/skip dirs = %q", got)
	}
}

func TestParseTrivyKeepsFailuresOnly(t *testing.T) {
	report := `{"Results":[{"Target":"/r/modules/x/main.tf","Misconfigurations":[
	  {"ID":"AWS-0107","Title":"An ingress security group rule allows traffic from /0.","Message":"Security group rule allows ingress from public internet.","Severity":"CRITICAL","Status":"FAIL","CauseMetadata":{"Resource":"aws_security_group.a","StartLine":12}},
	  {"ID":"AWS-0086","Title":"S3 Access block should block public ACL","Severity":"HIGH","Status":"PASS","CauseMetadata":{"StartLine":3}}]},
	  {"Target":"modules/y/main.tf"}]}`
	got, err := parseTrivy([]byte(report), "/r")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("parseTrivy = %d findings, want 1: %v", len(got), got)
	}
	want := Finding{Tool: "trivy", ID: "AWS-0107", Severity: "CRITICAL", File: "modules/x/main.tf", Line: 12,
		Message: "aws_security_group.a: An ingress security group rule allows traffic from /0. — Security group rule allows ingress from public internet."}
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("parseTrivy[0] = %+v, want %+v", got[0], want)
	}
	if _, err := parseTrivy([]byte("not json"), "/r"); err == nil {
		t.Error("parseTrivy accepted a broken report")
	}
}

func TestParseTFLintIssuesAndErrors(t *testing.T) {
	report := `{"issues":[{"rule":{"name":"terraform_typed_variables","severity":"warning"},"message":"` + "`x`" + ` variable has no type","range":{"filename":"modules/a/variables.tf","start":{"line":4}}}],
	 "errors":[{"message":"Failed to parse","severity":"error","range":{"filename":"modules/b/main.tf","start":{"line":2}}}]}`
	got, err := parseTFLint([]byte(report), "/r")
	if err != nil {
		t.Fatal(err)
	}
	want := []Finding{
		{Tool: "tflint", ID: "terraform_typed_variables", Severity: "WARNING", File: "modules/a/variables.tf", Line: 4, Message: "`x` variable has no type"},
		{Tool: "tflint", ID: "error", Severity: "ERROR", File: "modules/b/main.tf", Line: 2, Message: "Failed to parse"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseTFLint = %+v, want %+v", got, want)
	}
}

// A thin root's pass-through outputs are described in the module and it has
// no variables.tf: those two module-contract rules do not apply to envs/*,
// every other rule does, and modules keep all of them.
func TestParseTFLintExemptsThinRootsFromTheModuleContract(t *testing.T) {
	issue := func(rule, file string) string {
		return `{"rule":{"name":"` + rule + `","severity":"info"},"message":"m","range":{"filename":"` + file + `","start":{"line":1}}}`
	}
	report := `{"issues":[` + strings.Join([]string{
		issue("terraform_documented_outputs", "envs/dev/outputs.tf"),
		issue("terraform_standard_module_structure", "envs/staging/variables.tf"),
		issue("terraform_unused_declarations", "envs/dev/main.tf"),
		issue("terraform_documented_outputs", "modules/registry/outputs.tf"),
	}, ",") + `],"errors":[]}`
	got, err := parseTFLint([]byte(report), "/r")
	if err != nil {
		t.Fatal(err)
	}
	want := []Finding{
		{Tool: "tflint", ID: "terraform_unused_declarations", Severity: "INFO", File: "envs/dev/main.tf", Line: 1, Message: "m"},
		{Tool: "tflint", ID: "terraform_documented_outputs", Severity: "INFO", File: "modules/registry/outputs.tf", Line: 1, Message: "m"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseTFLint = %+v, want %+v", got, want)
	}
}

func TestCheckSkipsDemandsJustification(t *testing.T) {
	dir := t.TempDir()
	src := `# Logging would need a second bucket; CloudTrail covers access.
#trivy:ignore:AWS-0089
resource "aws_s3_bucket" "a" {}

#trivy:ignore:AWS-0132
resource "aws_s3_bucket" "b" {}

#trivy:ignore:AWS-0098 -- the AWS-managed key is enough here
resource "aws_secretsmanager_secret" "c" {}

# tflint-ignore: terraform_unused_declarations
variable "d" { type = string }

#trivy:ignore:AWS-0077[backup_retention_period=1] -- dev keeps one day
resource "aws_db_instance" "e" {}
`
	if err := os.MkdirAll(filepath.Join(dir, "m", ".terraform"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "m", "main.tf"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	// Files under .terraform are downloaded modules, not ours.
	if err := os.WriteFile(filepath.Join(dir, "m", ".terraform", "x.tf"), []byte("#trivy:ignore:AWS-0001\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	skips, bad, err := checkSkips(dir)
	if err != nil {
		t.Fatal(err)
	}
	wantSkips := []Skip{
		{File: "m/main.tf", Line: 2, ID: "trivy:AWS-0089", Justification: "Logging would need a second bucket; CloudTrail covers access."},
		{File: "m/main.tf", Line: 8, ID: "trivy:AWS-0098", Justification: "the AWS-managed key is enough here"},
		{File: "m/main.tf", Line: 14, ID: "trivy:AWS-0077[backup_retention_period=1]", Justification: "dev keeps one day"},
	}
	if !slices.Equal(skips, wantSkips) {
		t.Errorf("skips = %+v, want %+v", skips, wantSkips)
	}
	var got []string
	for _, f := range bad {
		got = append(got, fmt.Sprintf("%s@%s:%d", f.ID, f.File, f.Line))
	}
	want := []string{"trivy:AWS-0132@m/main.tf:5", "tflint:terraform_unused_declarations@m/main.tf:11"}
	if !slices.Equal(got, want) {
		t.Errorf("unjustified = %v, want %v", got, want)
	}
}

func TestRunRejectsMissingDirectory(t *testing.T) {
	_, err := Run(context.Background(), filepath.Join(t.TempDir(), "nope"), Options{Trivy: "/bin/false", TFLint: "/bin/false"})
	if err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("Run(missing dir) error = %v, want 'not a directory'", err)
	}
}

// scanners finds the provisioned scanners (test:tools builds them). Under
// -short the scanner tests skip.
func scanners(t *testing.T) Options {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs trivy and tflint (skipped under -short)")
	}
	// The scanners come provisioned (go run magefile.go test:tools): no
	// build inside the test's timeout.
	ctx, cancel := context.WithTimeout(cachedir.Provisioned(context.Background()), time.Minute)
	defer cancel()
	trivy, err := EnsureTrivy(ctx, t.Logf)
	if err != nil {
		t.Fatalf("trivy: %v", err)
	}
	tflint, err := EnsureTFLint(ctx, t.Logf)
	if err != nil {
		t.Fatalf("tflint: %v", err)
	}
	return Options{Trivy: trivy, TFLint: tflint, Logf: t.Logf}
}

// TestScanDetectsInsecureFixture shows the scan scans: a fixture with SSH
// open to the world, an unencrypted public database, a bucket without
// public access block and an untyped variable must each be reported.
func TestScanDetectsInsecureFixture(t *testing.T) {
	opt := scanners(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res, err := Run(ctx, "testdata/insecure", opt)
	if !errors.Is(err, ErrFindings) {
		t.Fatalf("Run(insecure) error = %v, want ErrFindings", err)
	}
	ids := map[string]bool{}
	for _, f := range res.Findings {
		ids[f.Tool+":"+f.ID] = true
	}
	for _, want := range []string{
		"trivy:AWS-0107",                   // security group ingress from 0.0.0.0/0
		"trivy:AWS-0180",                   // RDS instance publicly accessible
		"trivy:AWS-0080",                   // RDS storage not encrypted
		"trivy:AWS-0094",                   // S3 bucket without public access block
		"tflint:terraform_typed_variables", // variable "untyped" {}
	} {
		if !ids[want] {
			t.Errorf("scan of the insecure fixture did not report %s; got %v", want, keys(ids))
		}
	}
	if !strings.Contains(Summary(res), "finding(s)") {
		t.Errorf("Summary lacks the count line:\n%s", Summary(res))
	}
}

// TestRepositoryTerraformScansClean runs the scan over the repository's
// terraform/: every finding must be fixed or skipped inline with a
// justification.
func TestRepositoryTerraformScansClean(t *testing.T) {
	opt := scanners(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	root := filepath.Join("..", "..", "..", "..", "terraform")
	res, err := Run(ctx, root, opt)
	if err != nil {
		summary := ""
		if res != nil {
			summary = Summary(res)
		}
		t.Fatalf("scan of %s: %v\n%s", root, err, summary)
	}
	if len(res.Skips) == 0 {
		t.Error("no justified skip found: the skip parser or the tree is not what this test expects")
	}
}

// trivy-iac scans as `trivy config` does: a skipped directory is not there
// at all (the module an environment root calls is then a root of its own,
// named by its resources), a root's scan follows its module call out of
// the root's directory (../../modules), naming the module call, and a
// variables file sets the values the checks see.
func TestTrivyIACSkipsRootsAndFollowsModulesOutside(t *testing.T) {
	opt := scanners(t)
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("modules/db/main.tf", `resource "aws_db_instance" "this" {
  identifier          = "fixture"
  engine              = "postgres"
  instance_class      = "db.t4g.micro"
  allocated_storage   = 20
  publicly_accessible = true
  storage_encrypted   = true
}
`)
	write("envs/dev/main.tf", "module \"db\" {\n  source = \"../../modules/db\"\n}\n")
	scan := func(target string, tfvars []string, skipDirs ...string) []string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := trivyJSON(ctx, opt.Trivy, target, tfvars, skipDirs)
		if err != nil {
			t.Fatal(err)
		}
		fs, err := parseTrivy(out, target)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range fs {
			if f.ID == "AWS-0180" { // publicly accessible; the fixture trips others too
				got = append(got, fmt.Sprintf("%s:%d %s", f.File, f.Line, strings.SplitN(f.Message, ":", 2)[0]))
			}
		}
		return got
	}
	if got, want := scan(dir, nil, "envs/dev"), []string{"modules/db/main.tf:6 aws_db_instance.this"}; !slices.Equal(got, want) {
		t.Errorf("tree without envs/dev: %q, want %q", got, want)
	}
	if got, want := scan(dir, nil), []string{"modules/db/main.tf:6 module.db"}; !slices.Equal(got, want) {
		t.Errorf("tree with envs/dev: %q, want %q", got, want)
	}
	if got, want := scan(filepath.Join(dir, "envs", "dev"), nil), []string{"../../modules/db/main.tf:6 module.db"}; !slices.Equal(got, want) {
		t.Errorf("envs/dev: %q, want %q", got, want)
	}

	// A variables file sets what a check sees: public only through it.
	write("vars/main.tf", `variable "public" {
  type    = bool
  default = false
}

resource "aws_db_instance" "this" {
  identifier          = "fixture"
  engine              = "postgres"
  instance_class      = "db.t4g.micro"
  allocated_storage   = 20
  publicly_accessible = var.public
  storage_encrypted   = true
}
`)
	write("vars/public.tfvars", "public = true\n")
	vars := filepath.Join(dir, "vars")
	if got := scan(vars, nil); len(got) != 0 {
		t.Errorf("vars without the file: %q, want nothing (public defaults to false)", got)
	}
	if got, want := scan(vars, []string{filepath.Join(vars, "public.tfvars")}), []string{"main.tf:11 aws_db_instance.this"}; !slices.Equal(got, want) {
		t.Errorf("vars with public.tfvars: %q, want %q", got, want)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestMergeFindingsNamesEveryRootOnce(t *testing.T) {
	dir := "/r/terraform"
	tree := []Finding{{Tool: "trivy", ID: "AWS-0089", File: "bootstrap/main.tf", Line: 30}}
	dev := []Finding{
		{Tool: "trivy", ID: "AWS-0031", File: "../../modules/registry/main.tf", Line: 11},
		{Tool: "trivy", ID: "AWS-0031", File: "../../modules/registry/main.tf", Line: 11}, // second repository, same place
	}
	staging := []Finding{{Tool: "trivy", ID: "AWS-0031", File: "../../modules/registry/main.tf", Line: 11}}

	all := mergeFindings(nil, tree, dir, dir, "tree")
	all = mergeFindings(all, dev, dir, "/r/terraform/envs/dev", "envs/dev")
	all = mergeFindings(all, staging, dir, "/r/terraform/envs/staging", "envs/staging")

	want := []Finding{
		{Tool: "trivy", ID: "AWS-0089", File: "bootstrap/main.tf", Line: 30, Roots: []string{"tree"}},
		{Tool: "trivy", ID: "AWS-0031", File: "modules/registry/main.tf", Line: 11, Roots: []string{"envs/dev", "envs/staging"}},
	}
	if !reflect.DeepEqual(all, want) {
		t.Errorf("mergeFindings = %+v, want %+v", all, want)
	}
	if got := all[1].String(); !strings.HasSuffix(got, "(in envs/dev, envs/staging)") {
		t.Errorf("String() = %q, want the roots at the end", got)
	}
}

package workflows

import (
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// The repository, relative to this package.
var (
	root         = filepath.Join("..", "..", "..", "..")
	workflowsDir = filepath.Join(root, ".github", "workflows")
	setupAction  = filepath.Join(root, ".github", "actions", "setup", "action.yml")
)

func load(t *testing.T) map[string]*Workflow {
	t.Helper()
	all, err := Load(workflowsDir)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// The workflow files, written down: a new one must be added here and to the
// tables below, so nothing runs in GitHub unchecked.
var wantFiles = []string{
	"ci.yml", "infra.yml", "release-dev.yml", "release-staging.yml",
	"reusable-infra.yml", "reusable-release.yml", "reusable-rollback.yml", "reusable-seed.yml",
	"rollback-staging.yml", "seed.yml", "terraform.yml",
}

func TestTheWorkflowFiles(t *testing.T) {
	var got []string
	for f := range load(t) {
		got = append(got, f)
	}
	sort.Strings(got)
	if !reflect.DeepEqual(got, wantFiles) {
		t.Fatalf("workflow files = %v, want %v", got, wantFiles)
	}
}

// What starts each workflow: the branch, the tag pattern, the dispatch
// inputs; reusable workflows start only when called.
func TestTriggers(t *testing.T) {
	all := load(t)
	str := Input{Type: "string", Required: true}
	want := map[string]map[string]Trigger{
		"release-dev.yml":     {"push": {Branches: []string{"main"}}},
		"release-staging.yml": {"push": {Tags: []string{"v*.*.*"}}},
		"rollback-staging.yml": {"workflow_dispatch": {Inputs: map[string]Input{
			"version": {Type: "string", Required: true, Default: "previous"},
		}}},
		"seed.yml": {"workflow_dispatch": {Inputs: map[string]Input{
			"environment": {Type: "choice", Required: true, Options: []string{"dev", "staging"}},
		}}},
		"infra.yml": {"workflow_dispatch": {Inputs: map[string]Input{
			"environment": {Type: "choice", Required: true, Options: []string{"dev", "staging"}},
			"apply":       {Type: "boolean", Default: "false"},
		}}},
		"reusable-release.yml": {"workflow_call": {Inputs: map[string]Input{
			"environment": str, "version": str, "kit-ref": {Type: "string"},
		}}},
		"reusable-rollback.yml": {"workflow_call": {Inputs: map[string]Input{
			"environment": str, "version": str, "kit-ref": {Type: "string"},
		}}},
		"reusable-seed.yml": {"workflow_call": {Inputs: map[string]Input{
			"environment": str, "kit-ref": {Type: "string"},
		}}},
		"reusable-infra.yml": {"workflow_call": {Inputs: map[string]Input{
			"environment": str, "apply": {Type: "boolean", Default: "false"}, "kit-ref": {Type: "string"},
		}}},
		"ci.yml":        {"push": {Branches: []string{"main"}}, "pull_request": {}},
		"terraform.yml": {"pull_request": {Paths: []string{"terraform/**", "magefiles/internal/terraform/**", ".github/workflows/terraform.yml"}}},
	}
	for _, f := range wantFiles {
		if got := all[f].On; !reflect.DeepEqual(got, want[f]) {
			t.Errorf("%s: on = %+v\nwant %+v", f, got, want[f])
		}
	}
}

// Each deploy job, as its trigger runs it: the GitHub environment, the Mage
// targets its steps call (the same command a person runs on a laptop), the
// concurrency group and the variable naming the role it assumes.
func TestEachJobCallsTheIntendedTargets(t *testing.T) {
	all := load(t)
	type want struct {
		env, group, role, url string
		commands              []string
	}
	cases := []struct {
		file     string
		dispatch map[string]string
		want     want
	}{
		{"release-dev.yml", nil, want{"dev", "equiptrack-dev-release", "AWS_DEPLOY_ROLE_ARN", "${{ steps.release.outputs.url || steps.status.outputs.url }}",
			[]string{"go run magefile.go dev:release ${{ github.sha }}", "go run magefile.go dev:status"}}},
		{"release-staging.yml", nil, want{"staging", "equiptrack-staging-release", "AWS_DEPLOY_ROLE_ARN", "${{ steps.release.outputs.url || steps.status.outputs.url }}",
			[]string{"go run magefile.go staging:release ${{ github.ref_name }}", "go run magefile.go staging:status"}}},
		{"rollback-staging.yml", nil, want{"staging", "equiptrack-staging-release", "AWS_DEPLOY_ROLE_ARN", "${{ steps.rollback.outputs.url || steps.status.outputs.url }}",
			[]string{"go run magefile.go staging:rollback ${{ inputs.version }}", "go run magefile.go staging:status"}}},
		{"seed.yml", map[string]string{"environment": "dev"}, want{"dev", "equiptrack-dev-seed", "AWS_DEPLOY_ROLE_ARN", "${{ steps.seed.outputs.url }}",
			[]string{"go run magefile.go dev:seed"}}},
		{"seed.yml", map[string]string{"environment": "staging"}, want{"staging", "equiptrack-staging-seed", "AWS_DEPLOY_ROLE_ARN", "${{ steps.seed.outputs.url }}",
			[]string{"go run magefile.go staging:seed"}}},
		{"infra.yml", map[string]string{"environment": "dev", "apply": "false"}, want{"dev-infra", "equiptrack-dev-infra", "AWS_APPLY_ROLE_ARN", "",
			[]string{"go run magefile.go dev:plan"}}},
		{"infra.yml", map[string]string{"environment": "dev", "apply": "true"}, want{"dev-infra", "equiptrack-dev-infra", "AWS_APPLY_ROLE_ARN", "",
			[]string{"go run magefile.go dev:apply"}}},
		{"infra.yml", map[string]string{"environment": "staging", "apply": "false"}, want{"staging-infra", "equiptrack-staging-infra", "AWS_APPLY_ROLE_ARN", "",
			[]string{"go run magefile.go staging:plan"}}},
		{"infra.yml", map[string]string{"environment": "staging", "apply": "true"}, want{"staging-infra", "equiptrack-staging-infra", "AWS_APPLY_ROLE_ARN", "",
			[]string{"go run magefile.go staging:apply"}}},
		{"terraform.yml", nil, want{"", "", "AWS_PLAN_ROLE_ARN", "",
			[]string{"go run magefile.go infra:validate infra:test"}}},
	}
	for _, c := range cases {
		runs, err := Resolve(all, c.file, c.dispatch)
		if err != nil {
			t.Errorf("%s %v: %v", c.file, c.dispatch, err)
			continue
		}
		if len(runs) != 1 {
			t.Errorf("%s %v: %d jobs, want 1", c.file, c.dispatch, len(runs))
			continue
		}
		r := runs[0]
		group := ""
		if r.Concurrency != nil {
			group = r.Concurrency.Group
			if r.Concurrency.CancelInProgress != "false" {
				t.Errorf("%s %v: cancel-in-progress = %q, want false", c.file, c.dispatch, r.Concurrency.CancelInProgress)
			}
		}
		got := want{r.Environment, group, r.RoleVariable, r.URL, r.Commands}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %v:\n got %+v\nwant %+v", c.file, c.dispatch, got, c.want)
		}
	}
}

// The newest release of every action, read from the tags of each action's
// repository (git rev-parse <tag>^{commit}); every use pins exactly these.
var wantPins = map[string]string{
	"actions/checkout":                      "3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
	"actions/setup-go":                      "b7ad1dad31e06c5925ef5d2fc7ad053ef454303e # v7.0.0",
	"actions/cache":                         "27d5ce7f107fe9357f9df03efb73ab90386fccae # v5.0.5",
	"actions/upload-artifact":               "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0",
	"aws-actions/configure-aws-credentials": "e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3",
	"hashicorp/setup-terraform":             "dfe3c3f87815947d99a8997f908cb6525fc44e9e # v4.0.1",
}

func allUses(t *testing.T) []Uses {
	t.Helper()
	var uses []Uses
	for _, w := range load(t) {
		uses = append(uses, AllUses(w.File, w.Raw)...)
	}
	a, err := LoadAction(setupAction)
	if err != nil {
		t.Fatal(err)
	}
	return append(uses, AllUses("actions/setup/action.yml", a.Raw)...)
}

func TestEveryActionIsPinnedToItsNewestRelease(t *testing.T) {
	uses := allUses(t)
	if len(uses) < 20 {
		t.Fatalf("found %d uses: lines, want at least 20 (is the parser reading the files?)", len(uses))
	}
	for _, p := range CheckPinned(uses) {
		t.Error(p)
	}
	for _, u := range uses {
		if strings.HasPrefix(u.Ref, "./") {
			continue
		}
		name, sha, _ := strings.Cut(u.Ref, "@")
		want, ok := wantPins[name]
		if !ok {
			t.Errorf("%s:%d: %s is not among the actions this test knows (add it with its newest release)", u.File, u.Line, name)
			continue
		}
		if got := sha + " " + strings.TrimSpace(u.Comment); got != want {
			t.Errorf("%s:%d: %s@%s, want %s", u.File, u.Line, name, got, want)
		}
	}
}

func TestPermissionsConcurrencyTimeoutsAndScripts(t *testing.T) {
	all := load(t)
	for _, f := range wantFiles {
		for _, p := range CheckPermissions(all[f], all) {
			t.Error(p)
		}
		for _, p := range CheckJobs(all[f]) {
			t.Error(p)
		}
		for _, p := range CheckReusable(all[f]) {
			t.Error(p)
		}
	}
	a, err := LoadAction(setupAction)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range CheckRunExpressions("actions/setup", a.Steps) {
		t.Error(p)
	}
}

// The jobs that reach AWS and what they declare, written down: id-token only
// where a role is assumed.
func TestJobPermissions(t *testing.T) {
	all := load(t)
	aws := map[string]string{"contents": "read", "id-token": "write"}
	want := map[string]map[string]string{
		"ci.yml/test":                    nil, // the top level's contents: read
		"terraform.yml/real-provider":    aws,
		"release-dev.yml/release":        aws,
		"release-staging.yml/release":    aws,
		"rollback-staging.yml/rollback":  aws,
		"seed.yml/seed":                  aws,
		"infra.yml/infra":                aws,
		"reusable-release.yml/release":   aws,
		"reusable-rollback.yml/rollback": aws,
		"reusable-seed.yml/seed":         aws,
		"reusable-infra.yml/infra":       aws,
	}
	got := map[string]map[string]string{}
	for f, w := range all {
		if !reflect.DeepEqual(w.Permissions, map[string]string{"contents": "read"}) {
			t.Errorf("%s: top-level permissions %v, want contents: read", f, w.Permissions)
		}
		for id, j := range w.Jobs {
			got[f+"/"+id] = j.Permissions
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("job permissions:\n got %v\nwant %v", got, want)
	}
}

// A release's Test step runs the application's full test.command from the
// manifest: nothing in GitHub may switch it to the quick one.
func TestReleasesRunTheFullTestCommand(t *testing.T) {
	for f, w := range load(t) {
		if strings.Contains(w.Raw, "QUICK_TESTS") {
			t.Errorf("%s sets QUICK_TESTS: a release in GitHub runs the manifest's full test.command", f)
		}
	}
}

// The checks must fail on a workflow that breaks each promise: a check that
// never fails would keep this test green for the wrong reason.
func TestChecksCatchEveryBrokenPromise(t *testing.T) {
	bad, err := LoadFile(filepath.Join("testdata", "bad.yml"))
	if err != nil {
		t.Fatal(err)
	}
	got := append(CheckPermissions(bad, nil), CheckJobs(bad)...)
	got = append(got, CheckPinned(AllUses(bad.File, bad.Raw))...)
	got = append(got, CheckReusable(bad)...)
	want := []string{
		"bad.yml: top-level permissions contents: write, want at most contents: read",
		"bad.yml: job deploy: permission packages: write is more than it needs",
		"bad.yml: job lint: id-token: write, but the job reaches no AWS role",
		"bad.yml: job nokeys: reaches AWS, so it must declare exactly contents: read and id-token: write",
		"bad.yml: job deploy: concurrency cancel-in-progress is \"true\", want false: a running release is never cancelled",
		"bad.yml: job deploy: step 3 (Release): ${{ }} in run:, pass it through env:",
		"bad.yml: job lint: no timeout-minutes",
		"bad.yml: job nokeys: runs in environment staging without a concurrency group",
		"bad.yml: job other: concurrency group \"releases\" does not name environment dev",
		"bad.yml:17: actions/checkout@v4 is not pinned to a full commit SHA",
		"bad.yml:18: actions/setup-go@d35c59abb061a4a6fb18e82ac0862c26744d6ab5 has no # vX.Y.Z comment naming its release",
		"bad.yml: job deploy: step 4 uses ./.github/actions/setup, which resolves in the caller's checkout: use ./.kit/…",
		"bad.yml: job lint: step 1 uses ./.kit/.github/actions/setup before the kit is checked out to .kit",
		"bad.yml: job other: step 1 checks out .kit without taking repository and ref from inputs.kit-ref",
		"bad.yml: job call: calls ./.github/workflows/reusable-seed.yml, which resolves in the caller's repository",
	}
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("problems found:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

package workflows

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfdriver"
)

// repository is the GitHub repository of the kit (its module path), whose
// name is the prefix of every subject claim.
const repository = "equiptrack/release-kit"

// Every job that assumes an AWS role, the sub claim of its OIDC token and
// the role whose trust must name exactly that claim, written down from
// terraform/modules/github-oidc: deploy trusts environment:<env>, apply
// environment:<env>-infra, plan pull_request.
var wantSubjects = []struct {
	file     string
	dispatch map[string]string
	sub      string
	env      string // the Terraform environment whose role it assumes
	role     string // deploy, apply or plan
}{
	{"release-dev.yml", nil, "repo:equiptrack/release-kit:environment:dev", "dev", "deploy"},
	{"release-staging.yml", nil, "repo:equiptrack/release-kit:environment:staging", "staging", "deploy"},
	{"rollback-staging.yml", nil, "repo:equiptrack/release-kit:environment:staging", "staging", "deploy"},
	{"seed.yml", map[string]string{"environment": "dev"}, "repo:equiptrack/release-kit:environment:dev", "dev", "deploy"},
	{"seed.yml", map[string]string{"environment": "staging"}, "repo:equiptrack/release-kit:environment:staging", "staging", "deploy"},
	{"infra.yml", map[string]string{"environment": "dev", "apply": "false"}, "repo:equiptrack/release-kit:environment:dev-infra", "dev", "apply"},
	{"infra.yml", map[string]string{"environment": "dev", "apply": "true"}, "repo:equiptrack/release-kit:environment:dev-infra", "dev", "apply"},
	{"infra.yml", map[string]string{"environment": "staging", "apply": "false"}, "repo:equiptrack/release-kit:environment:staging-infra", "staging", "apply"},
	{"infra.yml", map[string]string{"environment": "staging", "apply": "true"}, "repo:equiptrack/release-kit:environment:staging-infra", "staging", "apply"},
	// terraform.yml assumes the plan role in us-east-1 (staging's); dev's
	// plan role trusts the same claim.
	{"terraform.yml", nil, "repo:equiptrack/release-kit:pull_request", "staging", "plan"},
	{"terraform.yml", nil, "repo:equiptrack/release-kit:pull_request", "dev", "plan"},
}

// roleOf maps the GitHub variable a job reads its role from to the role.
var roleOf = map[string]string{
	"AWS_DEPLOY_ROLE_ARN": "deploy",
	"AWS_APPLY_ROLE_ARN":  "apply",
	"AWS_PLAN_ROLE_ARN":   "plan",
}

// The workflow side, without Terraform: each job's claim as GitHub derives it
// from its trigger and environment, and the role variable it reads.
func TestEachJobPresentsTheSubjectWrittenDown(t *testing.T) {
	all := load(t)
	for _, c := range wantSubjects {
		runs, err := Resolve(all, c.file, c.dispatch)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		for _, r := range runs {
			if got := Subject(repository, r); got != c.sub {
				t.Errorf("%s %v: job %s presents sub %s, want %s", c.file, c.dispatch, r.Job, got, c.sub)
			}
			if got := roleOf[r.RoleVariable]; got != c.role {
				t.Errorf("%s %v: job %s assumes the role in %s (%q), want the %s role", c.file, c.dispatch, r.Job, r.RoleVariable, got, c.role)
			}
		}
	}
	// No job assumes a role without being in the table: every trigger, every
	// dispatch choice.
	covered := map[string]bool{}
	for _, c := range wantSubjects {
		covered[key(c.file, c.dispatch)] = true
	}
	for _, f := range wantFiles {
		w := all[f]
		if _, ok := w.On["workflow_call"]; ok {
			continue // reached through its callers
		}
		for _, d := range dispatchChoices(w) {
			runs, err := Resolve(all, f, d)
			if err != nil {
				// ci.yml starts on push and pull_request: it must reach no AWS.
				for _, j := range w.Jobs {
					if ReachesAWS(j) {
						t.Errorf("%s: job %s reaches AWS and cannot be resolved: %v", f, j.ID, err)
					}
				}
				continue
			}
			for _, r := range runs {
				if r.RoleVariable != "" && !covered[key(f, d)] {
					t.Errorf("%s %v: job %s assumes %s but is not in wantSubjects", f, d, r.Job, r.RoleVariable)
				}
			}
		}
	}
}

func key(file string, d map[string]string) string {
	var kv []string
	for k, v := range d {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return file + " " + strings.Join(kv, ",")
}

// dispatchChoices enumerates a workflow's choice and boolean dispatch inputs.
func dispatchChoices(w *Workflow) []map[string]string {
	out := []map[string]string{nil}
	t, ok := w.On["workflow_dispatch"]
	if !ok {
		return out
	}
	for _, name := range slices.Sorted(maps.Keys(t.Inputs)) {
		var values []string
		switch in := t.Inputs[name]; in.Type {
		case "choice":
			values = in.Options
		case "boolean":
			values = []string{"false", "true"}
		default:
			continue
		}
		var next []map[string]string
		for _, m := range out {
			for _, v := range values {
				n := map[string]string{name: v}
				for k, x := range m {
					n[k] = x
				}
				next = append(next, n)
			}
		}
		out = next
	}
	return out
}

// The Terraform side: the trust of each role in the offline plans of both
// environments names exactly the claim written down (and the audience the
// configure-aws-credentials action asks for by default).
func TestRolesTrustExactlyTheJobsSubjects(t *testing.T) {
	if testing.Short() {
		t.Skip("plans both environments with OpenTofu (a minute or two); skipped under -short")
	}
	trust := planTrust(t)
	for _, c := range wantSubjects {
		got, ok := trust[c.env+"/"+c.role]
		if !ok {
			t.Errorf("%s: no %s role in the %s plan", c.file, c.role, c.env)
			continue
		}
		if want := c.sub + " aud=sts.amazonaws.com"; got != want {
			t.Errorf("%s %v: the %s role of %s trusts %s, the job presents %s", c.file, c.dispatch, c.role, c.env, got, want)
		}
	}
	// No workflow asks for another audience.
	for f, w := range load(t) {
		if strings.Contains(w.Raw, "audience:") {
			t.Errorf("%s sets an OIDC audience: the roles trust aud sts.amazonaws.com only", f)
		}
	}
}

var roleAddr = regexp.MustCompile(`module\.github_oidc\.aws_iam_role\.this\["(deploy|apply|plan)"\]$`)

// planTrust plans dev and staging offline and returns, per "<env>/<role>",
// "<sub> aud=<aud>" from each role's assume_role_policy.
func planTrust(t *testing.T) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	logf := func(format string, args ...any) { t.Logf(format, args...) }
	c, err := tfdriver.NewChecker(ctx, root+"/terraform", logf)
	if err != nil {
		t.Fatalf("offline toolchain: %v", err)
	}
	defer c.Close()
	// Our own plan directory: other test processes plan the same roots.
	if c.PlanDir, err = os.MkdirTemp("", "workflows-plans-"); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(c.PlanDir)
	out := map[string]string{}
	for _, env := range []string{"dev", "staging"} {
		res, err := c.Plan(ctx, env, nil)
		if err != nil {
			t.Fatalf("plan %s: %v", env, err)
		}
		found := 0
		for _, rc := range res.Plan.ResourceChanges {
			m := roleAddr.FindStringSubmatch(rc.Address)
			if m == nil || rc.Mode != tfjson.ManagedResourceMode {
				continue
			}
			found++
			after, _ := rc.Change.After.(map[string]any)
			policy, _ := after["assume_role_policy"].(string)
			if policy == "" {
				t.Fatalf("%s: %s: assume_role_policy unknown at plan time", env, rc.Address)
			}
			v, err := trustOf(policy)
			if err != nil {
				t.Fatalf("%s: %s: %v", env, rc.Address, err)
			}
			out[env+"/"+m[1]] = v
		}
		if found != 3 {
			t.Fatalf("%s: %d GitHub roles in the plan, want 3 (deploy, apply, plan)", env, found)
		}
	}
	return out
}

// trustOf reads the one sub and aud a trust policy admits; a policy with
// anything else (several statements, several values, a wildcard test) is an
// error: the roles must trust exactly one claim.
func trustOf(policy string) (string, error) {
	var doc struct {
		Statement []struct {
			Effect    string
			Action    any
			Condition map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		return "", err
	}
	if len(doc.Statement) != 1 {
		return "", fmt.Errorf("%d statements, want 1", len(doc.Statement))
	}
	s := doc.Statement[0]
	if s.Effect != "Allow" || fmt.Sprint(s.Action) != "sts:AssumeRoleWithWebIdentity" {
		return "", fmt.Errorf("statement %s %v, want Allow sts:AssumeRoleWithWebIdentity", s.Effect, s.Action)
	}
	if len(s.Condition) != 1 || s.Condition["StringEquals"] == nil {
		return "", fmt.Errorf("conditions %v, want StringEquals only", s.Condition)
	}
	one := func(k string) (string, error) {
		switch v := s.Condition["StringEquals"][k].(type) {
		case string:
			return v, nil
		case []any:
			if len(v) == 1 {
				if x, ok := v[0].(string); ok {
					return x, nil
				}
			}
		}
		return "", fmt.Errorf("%s: %v, want exactly one value", k, s.Condition["StringEquals"][k])
	}
	sub, err := one("token.actions.githubusercontent.com:sub")
	if err != nil {
		return "", err
	}
	aud, err := one("token.actions.githubusercontent.com:aud")
	if err != nil {
		return "", err
	}
	return sub + " aud=" + aud, nil
}

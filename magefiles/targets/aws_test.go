package targets

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/dockerup"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv/awsfixture"
	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv/fakeaws"
	"github.com/equiptrack/release-kit/seeddata"
)

// awsWorld seeds a fake environment and points the targets at it through
// the SDK's own settings (AWS_ENDPOINT_URL, static credentials, region),
// with millisecond polls and backoff. No browser: the fake's URL answers a
// bare page with no items table, which a browser would wait for in vain
// (the browser's Health check is tested end to end on the local backend).
func awsWorld(t *testing.T, env, region string, immutable bool, versions ...string) *awsfixture.World {
	t.Helper()
	w := awsfixture.New(t, awsfixture.Options{Env: env, Region: region, Immutable: immutable, Versions: versions})
	pointAt(t, w.Fake, region)
	t.Setenv("APP_DIR", awsfixture.AppDir(t))
	return w
}

func pointAt(t *testing.T, f *fakeaws.Fake, region string) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": f.Endpoint(), "AWS_REGION": region, "AWS_ACCESS_KEY_ID": "AKIDFAKE",
		"AWS_SECRET_ACCESS_KEY": "fake-secret", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		envPoll: "1ms", envBackoff: "1ms", envReadyTimeout: "300ms", envDeployTimeout: "", "SEED": "", "QUICK_TESTS": "",
		"GITHUB_STEP_SUMMARY": "", "GITHUB_RUN_ID": "", envBrowser: "off",
	} {
		t.Setenv(k, v)
	}
}

func count(calls []string, action string) int {
	n := 0
	for _, c := range calls {
		if c == action {
			n++
		}
	}
	return n
}

func mutating(calls []string) []string {
	var out []string
	for _, c := range calls {
		for _, m := range []string{"ecs:UpdateService", "ecs:RegisterTaskDefinition", "ecs:RunTask", "ssm:PutParameter", "ssm:DeleteParameter", "ecr:PutImage"} {
			if c == m {
				out = append(out, c)
			}
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func (s Staging) mustRelease(t *testing.T, v string) {
	t.Helper()
	if err := s.Release(context.Background(), v, nil, nil); err != nil {
		t.Fatal(err)
	}
}

func servicesOn(t *testing.T, w *awsfixture.World, rev int) {
	t.Helper()
	for _, s := range awsfixture.Services {
		st, _ := w.Fake.Service(w.Cluster, w.ECSName(s))
		if st.TaskDefinition != w.TD(s, rev) || st.Rollout != "COMPLETED" || st.Deployments != 1 {
			t.Fatalf("%s: %+v, want steady on %s", s, st, w.TD(s, rev))
		}
	}
}

func TestStagingReleaseOfSixServices(t *testing.T) {
	w := awsWorld(t, "staging", "us-east-1", true, "v1.0.0", "v1.1.0")
	summary := filepath.Join(t.TempDir(), "summary.md")
	// v1.0.0 is what Terraform's revisions run: its release registers
	// nothing new and records it.
	Staging{}.mustRelease(t, "v1.0.0")
	servicesOn(t, w, 1)
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	w.Fake.ResetCalls()
	start := time.Now()
	Staging{}.mustRelease(t, "v1.1.0")
	t.Logf("staging:release v1.1.0 (images in ECR) against the fake: %s, %d AWS calls", time.Since(start).Round(time.Millisecond), len(w.Fake.Calls()))
	servicesOn(t, w, 2)
	// The six services' revisions, and the migration's own (its family
	// with the inventory image).
	if n := count(w.Fake.Calls(), "ecs:RegisterTaskDefinition"); n != 7 {
		t.Errorf("registered %d revisions, want 7", n)
	}
	if n := count(w.Fake.Calls(), "ecs:UpdateService"); n != 6 {
		t.Errorf("%d UpdateService, want 6", n)
	}
	md, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## staging release of v1.1.0 succeeded", "| inventory | v1.1.0 | `" + w.Fake.RegistryHost() + "/equiptrack-staging/inventory@" + w.Digests["inventory:v1.1.0"] + "` | `" + w.TD("inventory", 2) + "` | 2/2 |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
	rec, _ := w.Fake.Parameter("/equiptrack/staging/release/record")
	if !strings.Contains(rec, `"version":"v1.1.0"`) || !strings.Contains(rec, `"result":"succeeded"`) {
		t.Errorf("record %s", rec)
	}

	// The same version again: nothing rebuilt or registered, it converges.
	w.Fake.ResetCalls()
	Staging{}.mustRelease(t, "v1.1.0")
	servicesOn(t, w, 2)
	if m := mutating(w.Fake.Calls()); count(m, "ecs:RegisterTaskDefinition") != 0 {
		t.Errorf("a re-release registered revisions: %v", m)
	}

	// rollback previous: v1.0.0's images on new revisions.
	start = time.Now()
	if err := (Staging{}).Rollback(context.Background(), "previous", nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("staging:rollback previous against the fake: %s", time.Since(start).Round(time.Millisecond))
	servicesOn(t, w, 3)
	if td := w.Fake.TaskDefinition(w.TD("ui", 3)); !strings.Contains(fmt.Sprint(td["containerDefinitions"]), w.Digests["ui:v1.0.0"]) {
		t.Errorf("ui revision 3 does not run v1.0.0: %v", td["containerDefinitions"])
	}

	start = time.Now()
	out := captureStdout(t, func() error { return Staging{}.Status(context.Background(), ptr("json")) })
	t.Logf("staging:status against the fake: %s", time.Since(start).Round(time.Millisecond))
	var st struct {
		Released string `json:"released"`
		Services []struct {
			Service, Version, Revision string
			Rollout                    string `json:"rollout_state"`
			Desired, Running           int
		} `json:"services"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status -format=json: %v\n%s", err, out)
	}
	if st.Released != "v1.0.0" || len(st.Services) != 6 || st.Services[0].Service != "gateway" || st.Services[0].Revision != w.TD("gateway", 3) {
		t.Errorf("status %+v", st)
	}
}

func captureStdout(t *testing.T, fn func() error) string {
	t.Helper()
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = wr
	done := make(chan []byte)
	go func() {
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		done <- []byte(b.String())
	}()
	ferr := fn()
	wr.Close()
	os.Stdout = old
	out := <-done
	if ferr != nil {
		t.Fatal(ferr)
	}
	return string(out)
}

func TestStagingFailuresLeaveOrRestoreEveryService(t *testing.T) {
	ctx := context.Background()
	t.Run("migration exits 1: every service untouched", func(t *testing.T) {
		w := awsWorld(t, "staging", "us-east-1", true, "v1.0.0", "v1.1.0")
		w.Fake.SetTaskOutcome(func(fakeaws.TaskRun) fakeaws.Outcome {
			return fakeaws.Outcome{ExitCodes: map[string]int{"migrate": 1}, Logs: []string{"ERROR: column exists"}}
		})
		w.Fake.ResetCalls()
		err := Staging{}.Release(ctx, "v1.1.0", nil, nil)
		if err == nil || !strings.Contains(err.Error(), "release failed at migrate") {
			t.Fatalf("err = %v", err)
		}
		if n := count(w.Fake.Calls(), "ecs:UpdateService"); n != 0 {
			t.Fatalf("%d UpdateService after a failed migration", n)
		}
		servicesOn(t, w, 1)
		// The migration runs in its own task definition, logging to its own
		// group.
		out := captureStdout(t, func() error { return Staging{}.Logs(ctx, "migrate", ptr(time.Hour)) })
		if !strings.Contains(out, "ERROR: column exists") || !strings.Contains(out, " ecs/migrate/") {
			t.Errorf("staging:logs migrate printed %q", out)
		}
		if err := (Staging{}).Logs(ctx, "nosuch", nil); err == nil || !strings.HasPrefix(err.Error(), "nosuch is not a service of staging") {
			t.Errorf("logs of an unknown service: %v", err)
		}
	})
	t.Run("circuit breaker on one service: all restored, release fails", func(t *testing.T) {
		w := awsWorld(t, "staging", "us-east-1", true, "v1.0.0", "v1.1.0")
		w.Fake.MarkRevision(w.Digests["reporting:v1.1.0"], fakeaws.Failing)
		err := Staging{}.Release(ctx, "v1.1.0", nil, nil)
		if err == nil || !strings.Contains(err.Error(), "release failed at deploy") || !strings.Contains(err.Error(), "circuit breaker") {
			t.Fatalf("err = %v", err)
		}
		servicesOn(t, w, 1)
		rec, _ := w.Fake.Parameter("/equiptrack/staging/release/record")
		if !strings.Contains(rec, `"rolled_back":true`) {
			t.Errorf("record %s", rec)
		}
	})
	t.Run("health failure restores", func(t *testing.T) {
		w := awsWorld(t, "staging", "us-east-1", true, "v1.0.0", "v1.1.0")
		w.Fake.MarkRevision(w.Digests["inventory:v1.1.0"], fakeaws.Broken)
		err := Staging{}.Release(ctx, "v1.1.0", nil, nil)
		if err == nil || !strings.Contains(err.Error(), "release failed at health") || !strings.Contains(err.Error(), "/api/inventory/readyz → 503") {
			t.Fatalf("err = %v", err)
		}
		servicesOn(t, w, 1)
	})
	t.Run("stalled rollout restores at the deploy timeout", func(t *testing.T) {
		w := awsWorld(t, "staging", "us-east-1", true, "v1.0.0", "v1.1.0")
		t.Setenv(envDeployTimeout, "300ms")
		w.Fake.MarkRevision(w.Digests["user:v1.1.0"], fakeaws.Stalling)
		err := Staging{}.Release(ctx, "v1.1.0", nil, nil)
		if err == nil || !strings.Contains(err.Error(), "release failed at deploy") || !strings.Contains(err.Error(), "user (IN_PROGRESS, 0/2 running, 2 pending)") {
			t.Fatalf("err = %v", err)
		}
		servicesOn(t, w, 1)
	})
	t.Run("a restore that fails is reported", func(t *testing.T) {
		w := awsWorld(t, "staging", "us-east-1", true, "v1.0.0", "v1.1.0")
		t.Setenv(envDeployTimeout, "300ms")
		w.Fake.MarkRevision(w.Digests["gateway:v1.1.0"], fakeaws.Failing)
		w.Fake.MarkRevision(w.TD("gateway", 1), fakeaws.Stalling) // the way back stalls too
		err := Staging{}.Release(ctx, "v1.1.0", nil, nil)
		if err == nil || !strings.Contains(err.Error(), "restoring the previous revisions failed too") {
			t.Fatalf("err = %v", err)
		}
		rec, _ := w.Fake.Parameter("/equiptrack/staging/release/record")
		if !strings.Contains(rec, `"restore":"partial"`) {
			t.Errorf("record %s", rec)
		}
	})
	t.Run("throttling survived", func(t *testing.T) {
		w := awsWorld(t, "staging", "us-east-1", true, "v1.0.0", "v1.1.0")
		w.Fake.Throttle("ecs:DescribeServices", 3)
		w.Fake.Throttle("ecr:BatchGetImage", 2)
		w.Fake.Throttle("ssm:PutParameter", 1)
		Staging{}.mustRelease(t, "v1.1.0")
		servicesOn(t, w, 2)
	})
	t.Run("a missing image is refused before any change", func(t *testing.T) {
		w := awsWorld(t, "staging", "us-east-1", true, "v1.0.0", "v1.1.0")
		w.Fake.ResetCalls()
		err := Staging{}.Deploy(ctx, "v1.2.0")
		if err == nil || !strings.Contains(err.Error(), "v1.2.0") {
			t.Fatalf("err = %v", err)
		}
		for _, m := range mutating(w.Fake.Calls()) {
			if m != "ssm:PutParameter" && m != "ssm:DeleteParameter" { // the lease and the record of the attempt
				t.Fatalf("changed %s", m)
			}
		}
		servicesOn(t, w, 1)
	})
}

func TestStagingLease(t *testing.T) {
	ctx := context.Background()
	w := awsWorld(t, "staging", "us-east-1", true, "v1.0.0", "v1.1.0")
	now := time.Now().UTC()
	lease := func(exp time.Time) string {
		return fmt.Sprintf(`{"holder":"GitHub run 41 (release) by ana","since":%q,"expires":%q}`, now.Add(-time.Hour).Format(time.RFC3339), exp.Format(time.RFC3339))
	}
	w.Fake.PutParameter("/equiptrack/staging/release/lock", lease(now.Add(time.Hour)))
	err := Staging{}.Release(ctx, "v1.1.0", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "release of staging refused: held by GitHub run 41 (release) by ana") {
		t.Fatalf("held lease: %v", err)
	}
	w.Fake.PutParameter("/equiptrack/staging/release/lock", lease(now.Add(-time.Minute)))
	err = Staging{}.Release(ctx, "v1.1.0", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "a stale release lease is held by GitHub run 41") {
		t.Fatalf("stale lease: %v", err)
	}
	servicesOn(t, w, 1)
	out := captureStdout(t, func() error { return Staging{}.Unlock(ctx) })
	if !strings.Contains(out, "staging: broke the release lease of GitHub run 41 (release) by ana") {
		t.Fatalf("unlock printed %q", out)
	}
	Staging{}.mustRelease(t, "v1.1.0")
	servicesOn(t, w, 2)
}

func TestAWSTargetsRefuseBadInputBeforeAnyWork(t *testing.T) {
	ctx := context.Background()
	w := awsWorld(t, "staging", "us-east-1", true, "v1.0.0")
	w.Fake.ResetCalls()
	for v, want := range map[string]string{
		"1.2.0":    `invalid version "1.2.0": want vX.Y.Z`,
		"v1.2.0-1": `invalid version "v1.2.0-1": want vX.Y.Z`,
		"v01.2.0":  `invalid version "v01.2.0": want vX.Y.Z`,
	} {
		if err := (Staging{}).Release(ctx, v, nil, nil); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("staging:release %q: %v", v, err)
		}
		if err := (Staging{}).Deploy(ctx, v); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("staging:deploy %q: %v", v, err)
		}
	}
	for _, v := range []string{"v1.2.0", "abc12", "ABCDEF1", strings.Repeat("a", 41)} {
		if err := (Dev{}).Release(ctx, v, nil, nil); err == nil || !strings.Contains(err.Error(), "invalid version") {
			t.Errorf("dev:release %q: %v", v, err)
		}
	}
	if err := (Staging{}).Status(ctx, ptr("yaml")); err == nil || err.Error() != `-format="yaml": want text or json` {
		t.Errorf("status -format=yaml: %v", err)
	}
	if calls := w.Fake.Calls(); len(calls) != 0 {
		t.Errorf("AWS was called before the input was checked: %v", calls)
	}

	t.Setenv("AWS_REGION", "us-west-2")
	if err := (Staging{}).Release(ctx, "v1.0.0", nil, nil); err == nil || err.Error() != "AWS region is us-west-2 but staging lives in us-east-1: set AWS_REGION=us-east-1" {
		t.Errorf("region: %v", err)
	}
	t.Setenv("AWS_REGION", "us-east-1")
	other := awsfixture.New(t, awsfixture.Options{Env: "staging", Region: "us-east-1", Immutable: true, Versions: []string{"v1.0.0"}, Account: "999999999999"})
	facts, _ := w.Fake.Parameter("/equiptrack/staging/release/facts") // this account's facts, other credentials
	other.Fake.PutParameter("/equiptrack/staging/release/facts", facts)
	pointAt(t, other.Fake, "us-east-1")
	other.Fake.ResetCalls()
	err := Staging{}.Release(ctx, "v1.0.0", nil, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "the AWS credentials are for account 999999999999") {
		t.Errorf("account: %v", err)
	}
	if m := mutating(other.Fake.Calls()); len(m) != 0 {
		t.Errorf("changed %v before refusing", m)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	w := awsWorld(t, "staging", "us-east-1", true, "v1.0.0", "v1.1.0")
	w.Fake.ResetCalls()
	out := captureStdout(t, func() error { return Staging{}.Release(context.Background(), "v1.2.0", nil, ptr(true)) })
	for _, want := range []string{
		"dry run of release v1.2.0 on staging (nothing is changed):",
		"build  " + w.Fake.RegistryHost() + "/equiptrack-staging/gateway:v1.2.0, then push it to ECR",
		"roll   ui: " + w.TD("ui", 1) + " (v1.0.0, 2 running) → the new equiptrack-staging-ui revision, 2 desired",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	out = captureStdout(t, func() error { return Staging{}.Rollback(context.Background(), "v1.1.0", ptr(true)) })
	if !strings.Contains(out, "reuse  "+w.Fake.RegistryHost()+"/equiptrack-staging/user:v1.1.0 ("+w.Digests["user:v1.1.0"]+")") {
		t.Errorf("rollback dry run:\n%s", out)
	}
	if m := mutating(w.Fake.Calls()); len(m) != 0 {
		t.Errorf("a dry run changed %v", m)
	}
	servicesOn(t, w, 1)
}

func TestSeedChecksTheFingerprintFromTheLog(t *testing.T) {
	w := awsWorld(t, "staging", "us-east-1", true, "v1.0.0")
	w.Fake.SetTaskOutcome(func(r fakeaws.TaskRun) fakeaws.Outcome {
		return fakeaws.Outcome{Logs: []string{"seeding", "fingerprint: " + seeddata.ExpectedFingerprint()}}
	})
	Staging{}.mustRelease(t, "v1.0.0")
	if err := (Staging{}).Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.Fake.SetTaskOutcome(func(r fakeaws.TaskRun) fakeaws.Outcome {
		return fakeaws.Outcome{Logs: []string{"fingerprint: " + strings.Repeat("0", 64)}}
	})
	if err := (Staging{}).Seed(context.Background()); err == nil || !strings.Contains(err.Error(), "fingerprint "+strings.Repeat("0", 64)+", expected "+seeddata.ExpectedFingerprint()) {
		t.Fatalf("err = %v", err)
	}
}

// A dev release builds real images with docker, tagged with the commit SHA
// and `latest`, and pushes both into the fake ECR's registry (logged in with
// its authorization token).
func TestDevReleaseBuildsAndPushesSHAAndLatest(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker (skipped under -short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := dockerup.Ensure(ctx, t.Logf); err != nil {
		t.Fatalf("Docker is needed: %v", err)
	}
	w := awsWorld(t, "dev", "us-west-2", false, "0a1b2c3")
	sha := fmt.Sprintf("%07x", time.Now().UnixNano()&0xfffffff) + "d"
	t.Cleanup(func() {
		for _, s := range awsfixture.Services {
			repo := w.Fake.RegistryHost() + "/equiptrack-dev/" + s
			_, _ = sh.Output(context.Background(), "docker", "image", "rm", "-f", repo+":"+sha, repo+":latest")
		}
	})
	start := time.Now()
	if err := (Dev{}).Release(ctx, sha, nil, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("dev:release %s with docker build + push against the fake: %s", sha, time.Since(start).Round(time.Millisecond))
	servicesOn(t, w, 2)
	for _, s := range awsfixture.Services {
		tags := w.Fake.ImageTags("equiptrack-dev/" + s)
		if tags[sha] == "" || tags["latest"] != tags[sha] {
			t.Errorf("%s: tags %v, want %s and latest on one digest", s, tags, sha)
		}
	}
	if tags := w.Fake.ImageTags("equiptrack-dev/gateway"); tags[sha] == w.Fake.ImageTags("equiptrack-dev/ui")[sha] {
		t.Errorf("gateway and ui have the same digest: the build args did not reach the build")
	}
	for _, a := range []string{"ecr:GetAuthorizationToken", "ecr:InitiateLayerUpload", "ecr:CompleteLayerUpload", "ecr:PutImage"} {
		if count(w.Fake.Calls(), a) == 0 {
			t.Errorf("docker push did not go through %s", a)
		}
	}

	// The rest of what the targets do, on the same fake, for the
	// least-privilege check below.
	captureStdout(t, func() error { return Dev{}.Status(ctx, nil) })
	captureStdout(t, func() error { return Dev{}.Logs(ctx, "inventory", nil) })
	if err := (Dev{}).Rollback(ctx, "0a1b2c3", nil); err != nil {
		t.Fatal(err)
	}
	checkDeployPolicy(t, w.Fake.Actions())
}

// checkDeployPolicy holds least privilege both ways: every action the
// backend called is granted by the deploy role's policy in
// terraform/modules/github-oidc, and the policy grants nothing it never
// called — except, named here, what IAM checks that the fake cannot see.
func checkDeployPolicy(t *testing.T, called []string) {
	t.Helper()
	noPermission := map[string]string{"sts:GetCallerIdentity": "needs no IAM permission"}
	implicit := map[string]string{"iam:PassRole": "ECS checks it when a task definition naming the task and execution roles is registered, run or rolled; the fake does not model IAM"}
	granted := deployPolicyActions(t)
	used := map[string]bool{}
	for _, a := range called {
		if _, ok := noPermission[a]; ok {
			continue
		}
		used[a] = true
		if !granted[a] {
			t.Errorf("the backend called %s but the deploy role does not grant it", a)
		}
	}
	for a := range granted {
		if _, ok := implicit[a]; !used[a] && !ok {
			t.Errorf("the deploy role grants %s but the backend never called it", a)
		}
	}
}

func deployPolicyActions(t *testing.T) map[string]bool {
	t.Helper()
	path := filepath.Join("..", "..", "terraform", "modules", "github-oidc", "main.tf")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	out := map[string]bool{}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "data" || len(b.Labels) != 2 || b.Labels[0] != "aws_iam_policy_document" || b.Labels[1] != "deploy" {
			continue
		}
		for _, st := range b.Body.Blocks {
			if st.Type != "statement" {
				continue
			}
			attr, ok := st.Body.Attributes["actions"]
			if !ok {
				continue
			}
			v, diags := attr.Expr.Value(nil)
			if diags.HasErrors() {
				t.Fatalf("%s: actions must be a literal list: %v", path, diags)
			}
			for it := v.ElementIterator(); it.Next(); {
				_, a := it.Element()
				out[a.AsString()] = true
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no deploy policy found", path)
	}
	return out
}

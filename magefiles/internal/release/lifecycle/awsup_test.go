package lifecycle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	tfjson "github.com/hashicorp/terraform-json"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/dockerup"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv"
	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv/awsfixture"
	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv/fakeaws"
	"github.com/equiptrack/release-kit/magefiles/internal/release/configure"
	"github.com/equiptrack/release-kit/magefiles/internal/release/manifest"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfdriver"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
	"github.com/equiptrack/release-kit/seeddata"
)

// accountTF is a Terraform runner over an empty fake AWS account: its plan
// lists what the configuration has that the account lacks — the
// repositories (the registry module), then the rest of the environment at
// the image tag variable — and Apply creates exactly what the saved plan
// planned there (awsfixture's Registry and Environment, as the modules
// would). The services' task definitions point at <repository>:<tag>; an
// apply whose tag ECR does not hold fails, as ECS would fail every task.
type accountTF struct {
	f       *fakeaws.Fake
	desired map[string]int
	mu      sync.Mutex
	plans   map[string]*Plan
	applied []string // "registry", "environment"
}

const factsParam = "/equiptrack/dev/release/facts"

var images = append(append([]string(nil), awsfixture.Services...), "seeder")

func (t *accountTF) Plan(_ context.Context, spec tfdriver.PlanSpec) (*Plan, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := &tfjson.Plan{FormatVersion: "1.2", PlannedValues: &tfjson.StateValues{RootModule: &tfjson.StateModule{}}}
	add := func(addr, typ string, index any, create bool, after map[string]any) {
		a := tfjson.Actions{tfjson.ActionNoop}
		if create {
			a = tfjson.Actions{tfjson.ActionCreate}
		}
		p.ResourceChanges = append(p.ResourceChanges, &tfjson.ResourceChange{Address: addr, Mode: tfjson.ManagedResourceMode, Type: typ, Index: index,
			Change: &tfjson.Change{Actions: a, After: after, AfterUnknown: map[string]any{}}})
		p.PlannedValues.RootModule.Resources = append(p.PlannedValues.RootModule.Resources,
			&tfjson.StateResource{Address: addr, Mode: tfjson.ManagedResourceMode, Type: typ, Index: index, AttributeValues: after})
	}
	have := map[string]bool{}
	for _, r := range t.f.Repositories() {
		have[r] = true
	}
	for _, n := range images {
		name := "equiptrack-dev/" + n
		add(fmt.Sprintf("%s.aws_ecr_repository.this[%q]", RegistryTarget, n), "aws_ecr_repository", n, !have[name], map[string]any{"name": name})
	}
	if len(spec.Targets) == 0 {
		tag := spec.Vars[ImageTagVar]
		_, exists := t.f.Parameter(factsParam)
		for _, s := range awsfixture.Services {
			add(svcAddr(s), "aws_ecs_service", nil, !exists, map[string]any{"desired_count": float64(t.desired[s]), "image_tag": tag})
		}
		add("module.environment.aws_ssm_parameter.release_facts", "aws_ssm_parameter", nil, !exists, map[string]any{"name": factsParam})
	} else if len(spec.Targets) != 1 || spec.Targets[0] != RegistryTarget {
		return nil, fmt.Errorf("unexpected targets %v", spec.Targets)
	}
	file := fmt.Sprintf("/plans/%d.tfplan", len(t.plans)+1)
	t.plans[file] = &Plan{File: file, JSON: p, Changes: HasChanges(p)}
	return t.plans[file], nil
}

func (t *accountTF) Show(_ context.Context, file string) (*Plan, error) { return t.plans[file], nil }

func (t *accountTF) Apply(_ context.Context, file string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.plans[file]
	var registry bool
	tag := ""
	for _, rc := range p.JSON.ResourceChanges {
		if !rc.Change.Actions.Create() {
			continue
		}
		after := rc.Change.After.(map[string]any)
		switch rc.Type {
		case "aws_ecr_repository":
			registry = true
		case "aws_ecs_service":
			tag = after["image_tag"].(string)
		}
	}
	if registry {
		awsfixture.Registry(t.f, "dev", false)
		t.applied = append(t.applied, "registry")
	}
	if tag == "" {
		return nil
	}
	for _, n := range images {
		if t.f.ImageTags("equiptrack-dev/" + n)[tag] == "" {
			return fmt.Errorf("creating the %s service: image equiptrack-dev/%s:%s not found", n, n, tag)
		}
	}
	if _, err := awsfixture.Environment(t.f, awsfixture.EnvOptions{Env: "dev", Region: "us-west-2", Version: tag, Desired: t.desired, Starting: true,
		Image: func(string) string { return ":" + tag }}); err != nil {
		return err
	}
	t.applied = append(t.applied, "environment")
	// The rest of a real apply (the database, CloudFront) takes minutes
	// after the services exist: ECS tries to start their tasks meanwhile.
	t.f.Clock.Advance(2 * time.Minute)
	return nil
}

// Output is the state's outputs: `secrets` once the environment is
// applied (modules/secrets' policies, as Terraform writes them).
func (t *accountTF) Output(_ context.Context, dst any) error {
	outs := map[string]any{}
	if _, ok := t.f.Parameter(factsParam); ok {
		outs["secrets"] = map[string]any{
			"jwt":             map[string]any{"name": "equiptrack-dev/jwt-signing-key", "length": 64, "exclude_punctuation": true, "exclude_characters": "", "require_each_included_type": false},
			"admin_password":  map[string]any{"name": "equiptrack-dev/seed-admin-password", "length": 24, "exclude_punctuation": false, "exclude_characters": "\"'`\\/@ ", "require_each_included_type": true},
			"db_app_password": map[string]any{"name": "equiptrack-dev/db-app-password", "length": 32, "exclude_punctuation": true, "exclude_characters": "", "require_each_included_type": false},
		}
	}
	js, _ := json.Marshal(outs)
	return json.Unmarshal(js, dst)
}

type healthFunc func(context.Context) error

func (h healthFunc) Check(ctx context.Context) error { return h(ctx) }

// TestUpFromAnEmptyAccount: dev:up's flow against an empty fake account
// (after bootstrap) through the AWS backend: the registry is applied
// first, the version's images are built with docker and pushed to the
// fake ECR from the registry plan's repositories (no facts exist yet), the
// rest is applied at that version, the secrets get values (none printed),
// the migration runs in its own family, the services settle, health and
// seed pass. The migration fails the first time: the same up again
// converges without rebuilding, re-setting secrets or re-applying, after
// a new deployment of the services whose first deployment failed (the
// apply created them before their secrets had values); a third up
// restarts nothing.
func TestUpFromAnEmptyAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker (skipped under -short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := dockerup.Ensure(ctx, t.Logf); err != nil {
		t.Fatalf("Docker is needed: %v", err)
	}
	f, err := fakeaws.New(fakeaws.Options{Region: "us-west-2", Start: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	sha := fmt.Sprintf("%07x", time.Now().UnixNano()&0xfffffff) + "e"
	t.Cleanup(func() {
		for _, n := range images {
			repo := f.RegistryHost() + "/equiptrack-dev/" + n
			_, _ = sh.Output(context.Background(), "docker", "image", "rm", "-f", repo+":"+sha, repo+":latest")
		}
	})

	var out syncBuffer
	logf := func(format string, args ...any) { fmt.Fprintf(&out, format+"\n", args...) }
	cfg := aws.Config{Region: "us-west-2", Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", "")}
	opts := awsenv.Options{Env: "dev", Region: "us-west-2", Config: cfg, Endpoint: f.Endpoint(), Poll: time.Millisecond, MaxPoll: 5 * time.Millisecond, RetryBackoff: time.Millisecond, Logf: logf}
	m, err := manifest.Load(awsfixture.AppDir(t), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	rel := AWSRelease{
		Registry: func(ctx context.Context, repos map[string]string) (*awsenv.Env, pipeline.ImageBuilder, []string, error) {
			e, err := awsenv.OpenRegistry(ctx, opts, repos)
			if err != nil {
				return nil, nil, nil, err
			}
			return e, &awsenv.DockerBuilder{Env: e, Manifest: m, Latest: true}, append(m.Names(), pipeline.SeederImage), nil
		},
		Pipeline: func(ctx context.Context, seed bool) (*pipeline.Pipeline, error) {
			e, err := awsenv.Open(ctx, opts)
			if err != nil {
				return nil, err
			}
			return configure.Pipeline(m, e.Backend(&awsenv.DockerBuilder{Env: e, Manifest: m, Latest: true}), configure.Options{
				Env: "dev", RunTests: func(context.Context) error { return nil }, Seed: seed, ExpectedFingerprint: seeddata.ExpectedFingerprint(),
				Health: pipeline.HealthConfig{PollInterval: time.Millisecond, ReadyTimeout: 5 * time.Second}, Holder: "test", Logf: logf,
			})
		},
	}
	tf := &accountTF{f: f, desired: oneEach, plans: map[string]*Plan{}}
	store, err := awsenv.OpenSecrets(opts)
	if err != nil {
		t.Fatal(err)
	}
	secrets := &SecretsFlow{Env: "dev", Specs: func(ctx context.Context) (map[string]awsenv.SecretSpec, error) { return ReadSecretSpecs(ctx, tf) }, Store: store, Out: &out}
	services := &AWSServices{Open: func(ctx context.Context) (*awsenv.Env, error) { return awsenv.Open(ctx, opts) }}
	// The migration fails once (a lock held by someone else, say), then runs.
	var mu sync.Mutex
	var runs []fakeaws.TaskRun
	f.SetTaskOutcome(func(r fakeaws.TaskRun) fakeaws.Outcome {
		mu.Lock()
		defer mu.Unlock()
		runs = append(runs, r)
		if r.Family == "equiptrack-dev-migrate" && len(runs) == 1 {
			return fakeaws.Outcome{ExitCodes: map[string]int{"migrate": 1}, Logs: []string{"could not obtain lock"}}
		}
		return fakeaws.Outcome{Logs: []string{"ok", "fingerprint: " + seeddata.ExpectedFingerprint()}}
	})
	redeploy := func(ctx context.Context, names []string) error {
		e, err := awsenv.Open(ctx, opts)
		if err != nil {
			return err
		}
		return e.Redeploy(ctx, names)
	}
	newEnv := func() *Env {
		return &Env{
			Name: "dev", Vars: &Vars{Env: "dev", Region: "us-west-2", Account: f.Account(), Desired: oneEach},
			TF: tf, Caller: NewSTSCaller(cfg, f.Endpoint()), Services: services, URL: services.URL,
			Health: healthFunc(func(ctx context.Context) error {
				p, err := rel.Pipeline(ctx, false)
				if err != nil {
					return err
				}
				return p.Health(ctx)
			}),
			Out: &out, Clock: RealClock(), PollEvery: time.Millisecond, WaitTimeout: 30 * time.Second,
		}
	}

	start := time.Now()
	err = newEnv().Up(ctx, UpOptions{Version: sha, Release: rel, Secrets: secrets, Redeploy: redeploy})
	if err == nil || !strings.Contains(err.Error(), "dev: up "+sha+", step migrate: migrate failed: the migration task exited 1") {
		t.Fatalf("first up: %v\n%s", err, out.String())
	}
	t.Logf("up %s to the failed migration (docker build and push of 7 images): %s", sha, time.Since(start).Round(time.Millisecond))
	if strings.Join(tf.applied, ",") != "registry,environment" {
		t.Fatalf("applied %v, want the registry then the environment", tf.applied)
	}
	for _, n := range images {
		if tags := f.ImageTags("equiptrack-dev/" + n); tags[sha] == "" || tags["latest"] != tags[sha] {
			t.Fatalf("%s: tags %v, want %s and latest", n, tags, sha)
		}
	}
	versions := map[string]string{}
	for purpose, name := range awsfixture.SecretNames("dev") {
		vs := f.SecretVersions(name)
		if len(vs) != 1 || strings.Join(vs[0].Stages, ",") != "AWSCURRENT" {
			t.Fatalf("secret %s: %+v", purpose, len(vs))
		}
		versions[purpose] = vs[0].ID
	}
	if n := len(f.SecretVersions("equiptrack-dev/jwt-signing-key")[0].Value); n != 64 {
		t.Errorf("JWT key of %d characters, want 64", n)
	}

	out.Reset()
	if err := newEnv().Up(ctx, UpOptions{Version: sha, Release: rel, Secrets: secrets, Redeploy: redeploy}); err != nil {
		t.Fatalf("second up: %v\n%s", err, out.String())
	}
	second := out.String()
	for _, want := range []string{
		"dev: [1/8] registry\ndev: plan: no changes\n",
		sha + " is already in ECR for every image: not rebuilt",
		"dev: [3/8] apply at " + sha + "\ndev: plan: no changes\n",
		"dev: secret jwt (equiptrack-dev/jwt-signing-key): has a value\n",
		// The apply created the services before the secrets had values:
		// their first deployments failed (the circuit breaker stops
		// launching tasks), and only a new deployment starts them.
		"dev: new deployment of gateway, inventory, location, reporting, ui, user (started before the secrets and the database user existed)\n",
		"dev: [8/8] seed: ok",
		"dev: up at " + sha + ": " + f.URL() + "\n",
	} {
		if !strings.Contains(second, want) {
			t.Errorf("second up lacks %q:\n%s", want, second)
		}
	}
	if strings.Join(tf.applied, ",") != "registry,environment" {
		t.Errorf("the second up applied %v", tf.applied)
	}
	for purpose, name := range awsfixture.SecretNames("dev") {
		vs := f.SecretVersions(name)
		if len(vs) != 1 || vs[0].ID != versions[purpose] {
			t.Errorf("secret %s changed on the second up: %d versions", purpose, len(vs))
		}
		if strings.Contains(second, vs[0].Value) {
			t.Errorf("the output shows the value of %s", purpose)
		}
	}
	for _, s := range awsfixture.Services {
		st, _ := f.Service("equiptrack-dev", "equiptrack-dev-"+s)
		img := f.TaskDefinition(st.TaskDefinition)["containerDefinitions"].([]any)[0].(map[string]any)["image"]
		if img != f.RegistryHost()+"/equiptrack-dev/"+s+":"+sha || st.Rollout != "COMPLETED" {
			t.Errorf("%s runs %v (%s), want %s", s, img, st.Rollout, sha)
		}
	}
	// A third up on the converged environment restarts nothing.
	out.Reset()
	f.ResetCalls()
	if err := newEnv().Up(ctx, UpOptions{Version: sha, Release: rel, Secrets: secrets, Redeploy: redeploy}); err != nil {
		t.Fatalf("third up: %v\n%s", err, out.String())
	}
	for _, c := range f.Calls() {
		if c == "ecs:UpdateService" || c == "secretsmanager:PutSecretValue" || c == "ecr:PutImage" {
			t.Errorf("the third up called %s", c)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	var fams []string
	for _, r := range runs {
		fams = append(fams, r.Family)
	}
	if strings.Join(fams, ",") != "equiptrack-dev-migrate,equiptrack-dev-migrate,equiptrack-dev-seeder,equiptrack-dev-migrate,equiptrack-dev-seeder" {
		t.Errorf("tasks %v, want the migration twice then the seeder, then both again (idempotent)", fams)
	}
	if img := runs[1].Images["migrate"]; !strings.HasPrefix(img, f.RegistryHost()+"/equiptrack-dev/inventory@sha256:") {
		t.Errorf("the migration ran %s, want the inventory image pinned by digest", img)
	}
}

// syncBuffer is a bytes.Buffer safe for the backend's concurrent logs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

// <env>:secrets on a running environment (the fixture's: values set,
// abc1234 released): nothing to set; rotating the app database password
// puts a new value, re-runs the migration in its own family and forces a
// new deployment of every service; rotating the JWT key redeploys the
// gateway alone. No value reaches the output.
func TestSecretsRotationAgainstTheFakeAWS(t *testing.T) {
	w := awsfixture.New(t, awsfixture.Options{Env: "dev", Region: "us-west-2", Versions: []string{"abc1234"}})
	f := w.Fake
	var out syncBuffer
	logf := func(format string, args ...any) { fmt.Fprintf(&out, format+"\n", args...) }
	cfg := aws.Config{Region: "us-west-2", Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", "")}
	opts := awsenv.Options{Env: "dev", Region: "us-west-2", Config: cfg, Endpoint: f.Endpoint(), Poll: time.Millisecond, MaxPoll: 5 * time.Millisecond, RetryBackoff: time.Millisecond, Logf: logf}
	m, err := manifest.Load(awsfixture.AppDir(t), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e, err := awsenv.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	p, err := configure.Pipeline(m, e.Backend(&awsenv.DockerBuilder{Env: e, Manifest: m}), configure.Options{Env: "dev", Holder: "test", Logf: logf})
	if err != nil {
		t.Fatal(err)
	}
	store, err := awsenv.OpenSecrets(opts)
	if err != nil {
		t.Fatal(err)
	}
	tf := &accountTF{f: f}
	s := &SecretsFlow{Env: "dev", Specs: func(ctx context.Context) (map[string]awsenv.SecretSpec, error) { return ReadSecretSpecs(ctx, tf) },
		Store: store, Released: func(context.Context) (string, error) { return "abc1234", nil },
		Migrate: p.Migrate, Redeploy: e.Redeploy, Out: &out}
	var fams []string
	f.SetTaskOutcome(func(r fakeaws.TaskRun) fakeaws.Outcome { fams = append(fams, r.Family); return fakeaws.Outcome{} })

	if err := s.Run(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "dev: secret db_app_password (equiptrack-dev/db-app-password): has a value\n") || !strings.HasSuffix(out.String(), "dev: secrets: nothing to set\n") {
		t.Fatalf("nothing to do:\n%s", out.String())
	}
	updates := func() int {
		n := 0
		for _, c := range f.Calls() {
			if c == "ecs:UpdateService" {
				n++
			}
		}
		return n
	}
	out.Reset()
	f.ResetCalls()
	if err := s.Run(ctx, []string{SecretDBAppPassword}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	vs := f.SecretVersions("equiptrack-dev/db-app-password")
	if len(vs) != 2 || vs[0].Value != "fixture-db_app_password-value" || strings.Join(vs[0].Stages, ",") != "AWSPREVIOUS" || len(vs[1].Value) != 32 || strings.Join(vs[1].Stages, ",") != "AWSCURRENT" {
		t.Fatalf("db-app-password versions after the rotation: %d", len(vs))
	}
	if strings.Join(fams, ",") != "equiptrack-dev-migrate" || updates() != 6 {
		t.Fatalf("tasks %v, %d UpdateService; want the migration, then 6", fams, updates())
	}
	for _, want := range []string{"dev: secret db_app_password (equiptrack-dev/db-app-password): rotated, version " + vs[1].ID + " (32 characters)\n",
		"dev: migration of abc1234: sets the application database user's new password\n", "dev: new deployment of every service (they read the new password at start)\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), vs[1].Value) {
		t.Error("the output shows the new value")
	}

	out.Reset()
	f.ResetCalls()
	if err := s.Run(ctx, []string{SecretJWT}); err != nil {
		t.Fatal(err)
	}
	if len(fams) != 1 || updates() != 1 || !strings.Contains(out.String(), "dev: new deployment of the gateway") {
		t.Fatalf("jwt rotation: tasks %v, %d UpdateService\n%s", fams, updates(), out.String())
	}
	st, _ := f.Service("equiptrack-dev", "equiptrack-dev-gateway")
	if st.Rollout != "COMPLETED" || st.Deployments != 1 {
		t.Errorf("gateway %+v", st)
	}
}

func TestParseRotate(t *testing.T) {
	for in, want := range map[string]string{"": "", "all": "admin_password,db_app_password,jwt", "jwt": "jwt", "jwt, db_app_password,jwt": "db_app_password,jwt"} {
		got, err := ParseRotate(in)
		if err != nil || strings.Join(got, ",") != want {
			t.Errorf("ParseRotate(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	if _, err := ParseRotate("jwt,db_password"); err == nil || err.Error() != `-rotate="jwt,db_password": "db_password" is not a secret (want admin_password, db_app_password, jwt, or all)` {
		t.Errorf("unknown purpose: %v", err)
	}
}

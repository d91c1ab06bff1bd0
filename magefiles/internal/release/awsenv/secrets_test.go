package awsenv

import (
	"context"
	"strings"
	"testing"

	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv/awsfixture"
	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv/fakeaws"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// Secrets through the real SDK client against the fake: a secret Terraform
// created without a value has none; Generate puts one with the policy, and
// a second Generate stages the first AWSPREVIOUS.
func TestSecretsSetAndRotate(t *testing.T) {
	w := newWorld(t)
	w.fake.CreateSecret("equiptrack-staging/new-key")
	s, err := OpenSecrets(w.options())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	has, err := s.HasValue(ctx, "equiptrack-staging/new-key")
	if err != nil || has {
		t.Fatalf("a secret without value: has %v, %v", has, err)
	}
	spec := SecretSpec{Name: "equiptrack-staging/new-key", Length: 40, ExcludePunctuation: true, ExcludeCharacters: "0O1l"}
	v1, err := s.Generate(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if has, err := s.HasValue(ctx, spec.Name); err != nil || !has {
		t.Fatalf("after Generate: has %v, %v", has, err)
	}
	vs := w.fake.SecretVersions(spec.Name)
	if len(vs) != 1 || vs[0].ID != v1 || len(vs[0].Value) != 40 || strings.ContainsAny(vs[0].Value, "0O1l!#$%&()*+,-./:;<=>?@[]^_{|}~") {
		t.Fatalf("versions %d, first %q", len(vs), vs[0].Value)
	}
	v2, err := s.Generate(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	vs = w.fake.SecretVersions(spec.Name)
	if len(vs) != 2 || vs[0].ID != v1 || vs[1].ID != v2 || strings.Join(vs[0].Stages, ",") != "AWSPREVIOUS" || strings.Join(vs[1].Stages, ",") != "AWSCURRENT" || vs[0].Value == vs[1].Value {
		t.Fatalf("after a rotation: %d versions, stages %v / %v", len(vs), vs[0].Stages, vs[1].Stages)
	}

	if _, err := s.HasValue(ctx, "equiptrack-staging/missing"); err == nil || err.Error() != "secret equiptrack-staging/missing does not exist: Terraform creates it (apply staging first)" {
		t.Errorf("missing secret: %v", err)
	}
	w.fake.ScheduleSecretDeletion(spec.Name)
	if _, err := s.HasValue(ctx, spec.Name); err == nil || !strings.HasPrefix(err.Error(), "secret equiptrack-staging/new-key is scheduled for deletion (since ") {
		t.Errorf("secret scheduled for deletion: %v", err)
	}
}

// A task whose secret has no value fails at start, as ECS fails it (what
// a first apply leaves: Terraform creates the secrets without one); once
// the secret has a value, the same task runs.
func TestTaskFailsToStartOnASecretWithoutValue(t *testing.T) {
	f, err := fakeaws.New(fakeaws.Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	awsfixture.Registry(f, "staging", true)
	if _, err := f.PutImage("equiptrack-staging/seeder", "seeder v1.0.0", "v1.0.0"); err != nil {
		t.Fatal(err)
	}
	facts, err := awsfixture.Environment(f, awsfixture.EnvOptions{Env: "staging", Region: "us-east-1", Immutable: true, Version: "v1.0.0",
		Image: func(string) string { return ":v1.0.0" }, Desired: map[string]int{"gateway": 1, "inventory": 1, "location": 1, "reporting": 1, "ui": 1, "user": 1}})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{fake: f}
	e := w.open(t)
	ctx := context.Background()
	rev := pipeline.Revision{Service: "seeder", ID: facts["seeder"].(map[string]any)["task_definition_arn"].(string)}
	res, err := e.Run(ctx, pipeline.TaskSpec{Name: "seed", Revision: rev})
	if err != nil {
		t.Fatal(err)
	}
	if res.Succeeded() || res.StopCode != "TaskFailedToStart" || !strings.Contains(res.StopReason, "failed to fetch secret equiptrack-staging/") {
		t.Fatalf("without values: %+v", res)
	}
	for purpose, name := range awsfixture.SecretNames("staging") {
		f.PutSecretValue(name, purpose+"-value")
	}
	if res, err := e.Run(ctx, pipeline.TaskSpec{Name: "seed", Revision: rev}); err != nil || !res.Succeeded() {
		t.Fatalf("with values: %+v, %v", res, err)
	}
}

// Redeploy forces a new deployment of each named service on the revision
// it runs and waits until it completes.
func TestRedeploy(t *testing.T) {
	w := newWorld(t)
	e := w.open(t)
	w.fake.ResetCalls()
	if err := e.Redeploy(context.Background(), []string{"gateway"}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range w.fake.Calls() {
		if c == "ecs:UpdateService" {
			n++
		}
	}
	st, _ := w.fake.Service("equiptrack-staging", "equiptrack-staging-gateway")
	if n != 1 || st.TaskDefinition != tdARN("equiptrack-staging-gateway", 1) || st.Rollout != "COMPLETED" || st.Deployments != 1 {
		t.Fatalf("%d UpdateService, gateway %+v", n, st)
	}
	if err := e.Redeploy(context.Background(), []string{"nope"}); err == nil || err.Error() != "redeploy: nope is not a running service of staging" {
		t.Errorf("unknown service: %v", err)
	}
}

// OpenRegistry works from the repositories alone (no facts parameter yet):
// ECR's URIs and tag mutability; a repository that does not exist is
// named.
func TestOpenRegistryWithoutFacts(t *testing.T) {
	f, err := fakeaws.New(fakeaws.Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	awsfixture.Registry(f, "staging", true)
	w := &world{fake: f}
	repos := map[string]string{}
	for _, n := range append(append([]string(nil), services...), "seeder") {
		repos[n] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/equiptrack-staging/" + n
	}
	ctx := context.Background()
	e, err := OpenRegistry(ctx, w.options(), repos)
	if err != nil {
		t.Fatal(err)
	}
	if ref, _ := e.ImageRef("seeder", "v1.0.0"); ref != f.RegistryHost()+"/equiptrack-staging/seeder:v1.0.0" {
		t.Errorf("seeder ref %s", ref)
	}
	if ref, _ := e.ImageRef("ui", "v1.0.0"); ref != f.RegistryHost()+"/equiptrack-staging/ui:v1.0.0" || !e.Facts.RegistryImmutable || e.Facts.AccountID != "123456789012" {
		t.Errorf("ui ref %s, facts %+v", ref, e.Facts)
	}
	plat, err := (&DockerBuilder{Env: e}).platform(ctx, "ui")
	if err != nil || plat != "linux/amd64" {
		t.Errorf("platform %q, %v", plat, err)
	}
	repos["extra"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/equiptrack-staging/extra"
	if _, err := OpenRegistry(ctx, w.options(), repos); err == nil || !strings.Contains(err.Error(), "RepositoryNotFoundException: The repository with name 'equiptrack-staging/extra' does not exist") {
		t.Errorf("missing repository: %v", err)
	}
}

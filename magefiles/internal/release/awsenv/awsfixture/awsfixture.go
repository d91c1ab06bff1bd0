// Package awsfixture seeds the fake AWS (package fakeaws) with an
// environment as the kit's Terraform leaves it — a cluster, six services
// steady on revision 1 with circuit breakers, the seeder's and the
// migration's families, ECR repositories, the secrets, log groups, URL
// routes and the facts parameter — for the
// backend's and the targets' tests. It is test support, not used by the kit
// itself.
package awsfixture

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv/fakeaws"
)

// Services are the example application's services, sorted.
var Services = []string{"gateway", "inventory", "location", "reporting", "ui", "user"}

// World is a seeded fake environment.
type World struct {
	Fake   *fakeaws.Fake
	Env    string
	Region string
	// Cluster is the ECS cluster's name; Prefix names everything else.
	Cluster string
	// Facts is the facts parameter's JSON, decoded.
	Facts map[string]any
	// Digests maps "service:version" to the digest seeded for it.
	Digests map[string]string
}

// TB is what the fixture needs of a test: testing.TB, or cmd/fakeaws's
// stand-in when the fake runs on its own.
type TB interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
	TempDir() string
}

// Options say what to seed.
type Options struct {
	Env, Region string
	Immutable   bool
	// Versions are seeded as images in every repository; the first is what
	// the services run.
	Versions []string
	// Account of the fake [123456789012].
	Account string
}

// SecretNames are the environment's secrets by purpose, as Terraform's
// modules/secrets names them.
func SecretNames(env string) map[string]string {
	p := "equiptrack-" + env
	return map[string]string{"jwt": p + "/jwt-signing-key", "admin_password": p + "/seed-admin-password", "db_app_password": p + "/db-app-password"}
}

// New starts a fake and seeds it — the registry, the versions' images, the
// rest of the environment on the first version, values in the secrets —
// and closes it with the test.
func New(t TB, o Options) *World {
	t.Helper()
	// The clock starts now, so "the last 10 minutes" of logs means the same
	// to the fake and to the targets.
	f, err := fakeaws.New(fakeaws.Options{Region: o.Region, Account: o.Account, Start: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	w := &World{Fake: f, Env: o.Env, Region: o.Region, Cluster: "equiptrack-" + o.Env, Digests: map[string]string{}}
	Registry(f, o.Env, o.Immutable)
	for _, name := range append(append([]string(nil), Services...), "seeder") {
		for _, v := range o.Versions {
			d, err := f.PutImage("equiptrack-"+o.Env+"/"+name, name+" "+v, v)
			if err != nil {
				t.Fatal(err)
			}
			w.Digests[name+":"+v] = d
		}
	}
	desired := map[string]int{}
	for _, s := range Services {
		desired[s] = 2
	}
	w.Facts, err = Environment(f, EnvOptions{Env: o.Env, Region: o.Region, Immutable: o.Immutable, Version: o.Versions[0], Desired: desired,
		Image: func(name string) string { return "@" + w.Digests[name+":"+o.Versions[0]] }})
	if err != nil {
		t.Fatal(err)
	}
	for purpose, name := range SecretNames(o.Env) {
		f.PutSecretValue(name, "fixture-"+purpose+"-value")
	}
	return w
}

// Registry creates the environment's ECR repositories (the services' and
// the seeder's), as the registry module does.
func Registry(f *fakeaws.Fake, env string, immutable bool) {
	for _, name := range append(append([]string(nil), Services...), "seeder") {
		f.CreateRepository("equiptrack-"+env+"/"+name, immutable)
	}
}

// EnvOptions say what Environment creates.
type EnvOptions struct {
	Env, Region string
	Immutable   bool
	// Version is the APP_VERSION of Terraform's task definitions.
	Version string
	// Image is the reference suffix of an image's repository in Terraform's
	// task definitions: "@sha256:…" or ":<tag>".
	Image func(name string) string
	// Desired counts of the services.
	Desired map[string]int
	// Starting creates the services with their first deployment in
	// progress, as an apply leaves them (otherwise steady).
	Starting bool
}

// Environment creates what the environment's apply creates besides the
// registry — the cluster, log groups, task definitions (the services', the
// seeder's and the migration's own, each given only the secrets it uses),
// the services steady on them with circuit breakers, the secrets WITHOUT a
// value, the URL's routes and the facts parameter — and returns the facts.
// What exists already is left as it is, as a second apply would.
func Environment(f *fakeaws.Fake, o EnvOptions) (map[string]any, error) {
	prefix := "equiptrack-" + o.Env
	f.CreateCluster(prefix)
	secrets := map[string]string{}
	for purpose, name := range SecretNames(o.Env) {
		secrets[purpose] = f.CreateSecret(name)
	}
	ref := func(env string, purpose string) map[string]any {
		return map[string]any{"name": env, "valueFrom": secrets[purpose]}
	}
	mk := func(name, repoOf string, desired int, sec []any) (map[string]any, error) {
		repo := prefix + "/" + repoOf
		group := "/ecs/" + prefix + "/" + name
		f.CreateLogGroup(group)
		family := prefix + "-" + name
		arn, ok := latest(f, family)
		if !ok {
			td := map[string]any{
				"family": family, "networkMode": "awsvpc", "cpu": "256", "memory": "512",
				"requiresCompatibilities": []string{"FARGATE"},
				"executionRoleArn":        fmt.Sprintf("arn:aws:iam::%s:role/%s-execution", f.Account(), prefix),
				"containerDefinitions": []any{map[string]any{
					"name": name, "image": f.RegistryHost() + "/" + repo + o.Image(repoOf), "essential": true,
					"environment": []any{map[string]any{"name": "APP_VERSION", "value": o.Version}, map[string]any{"name": "PORT", "value": "8080"}},
					"secrets":     sec,
					"logConfiguration": map[string]any{"logDriver": "awslogs", "options": map[string]any{
						"awslogs-group": group, "awslogs-region": o.Region, "awslogs-stream-prefix": "ecs"}},
				}},
			}
			js, _ := json.Marshal(td)
			var err error
			if arn, err = f.RegisterTaskDefinition(string(js)); err != nil {
				return nil, err
			}
		}
		return map[string]any{
			"service_name": prefix + "-" + name, "task_definition_family": family, "task_definition_arn": arn,
			"container_name": name, "repository_url": f.RegistryHost() + "/" + repo, "log_group": group, "desired_count": desired,
			"capacity_provider_strategy": []any{map[string]any{"capacity_provider": "FARGATE", "weight": 1, "base": 1}},
		}, nil
	}
	svcFacts := map[string]any{}
	for _, s := range Services {
		sec := []any{ref("DB_PASSWORD", "db_app_password")}
		if s == "gateway" {
			sec = append(sec, ref("JWT_SECRET", "jwt"))
		}
		sf, err := mk(s, s, o.Desired[s], sec)
		if err != nil {
			return nil, err
		}
		svcFacts[s] = sf
		if _, ok := f.Service(prefix, sf["service_name"].(string)); ok {
			continue
		}
		if err := f.CreateService(fakeaws.ServiceSpec{Cluster: prefix, Name: sf["service_name"].(string), TaskDefinition: sf["task_definition_arn"].(string), Desired: o.Desired[s], CircuitBreaker: true, Starting: o.Starting}); err != nil {
			return nil, err
		}
	}
	seeder, err := mk("seeder", "seeder", 0, []any{ref("DB_PASSWORD", "db_app_password"), ref("SEED_ADMIN_PASSWORD", "admin_password")})
	if err != nil {
		return nil, err
	}
	delete(seeder, "service_name")
	// The migration: its own family, the inventory image, the only task
	// with the master credentials (not modelled here) and the app user's
	// password it sets.
	migrate, err := mk("migrate", "inventory", 0, []any{ref("APP_DB_PASSWORD", "db_app_password")})
	if err != nil {
		return nil, err
	}
	delete(migrate, "service_name")
	migrate["service"], migrate["command"] = "inventory", []string{"migrate"}
	migrate["capacity_provider_strategy"] = []any{}
	facts := map[string]any{
		"environment": o.Env, "account_id": f.Account(), "region": o.Region, "cluster_name": prefix, "url": f.URL(),
		"services": svcFacts, "seeder": seeder, "migrate": migrate, "private_subnet_ids": []string{"subnet-a", "subnet-b"},
		"task_security_group_id": "sg-tasks", "registry_immutable": o.Immutable,
		"lock_parameter": "/equiptrack/" + o.Env + "/release/lock", "record_parameter": "/equiptrack/" + o.Env + "/release/record",
	}
	js, _ := json.Marshal(facts)
	f.PutParameter("/equiptrack/"+o.Env+"/release/facts", string(js))
	for _, s := range Services {
		if s != "ui" && s != "gateway" {
			f.Route(prefix, "/api/"+s+"/", prefix+"-gateway", prefix+"-"+s)
		}
	}
	f.Route(prefix, "/api/", prefix+"-gateway")
	f.Route(prefix, "/", prefix+"-ui")
	return facts, nil
}

// latest is the ARN of a family's newest revision.
func latest(f *fakeaws.Fake, family string) (string, bool) {
	td := f.TaskDefinition(family)
	if td == nil {
		return "", false
	}
	arn, _ := td["taskDefinitionArn"].(string)
	return arn, arn != ""
}

// TD is the ARN of a family's revision.
func (w *World) TD(service string, rev int) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/equiptrack-%s-%s:%d", w.Region, w.Fake.Account(), w.Env, service, rev)
}

// ECSName is a service's ECS name.
func (w *World) ECSName(service string) string { return "equiptrack-" + w.Env + "-" + service }

// AppDir writes an application directory whose manifest has the six
// services, a test command that passes, no prebuild, and the migration
// `["migrate"]` in inventory; it returns its path.
func AppDir(t TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nARG SERVICE\nLABEL org.equiptrack.service=$SERVICE\nCOPY Dockerfile /Dockerfile\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var svcs []any
	for _, s := range Services {
		health := "/api/" + s + "/readyz"
		var pub any
		switch s {
		case "gateway":
			health, pub = "/api/readyz", "/api/*"
		case "ui":
			health, pub = "/readyz", "/"
		}
		svcs = append(svcs, map[string]any{"name": s, "context": ".", "dockerfile": "Dockerfile", "port": 8080, "build_args": map[string]string{"SERVICE": s},
			"health_path": "/readyz", "public_health_path": health, "cpu": 256, "memory": 512, "public_path": pub})
	}
	m := map[string]any{
		"application": "equiptrack", "test": map[string]any{"command": []string{"true"}},
		"services": svcs, "migrate": map[string]any{"service": "inventory", "command": []string{"migrate"}},
		"smoke": map[string]any{"path": "/api/inventory/items?limit=5", "expect_status": 200}, "page": map[string]any{"path": "/"},
	}
	js, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

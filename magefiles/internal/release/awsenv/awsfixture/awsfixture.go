// Package awsfixture seeds the fake AWS (package fakeaws) with an
// environment as the kit's Terraform leaves it — a cluster, six services
// steady on revision 1 with circuit breakers, the seeder's family, ECR
// repositories, log groups, URL routes and the facts parameter — for the
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

// New starts a fake and seeds it; both are closed with the test.
func New(t TB, o Options) *World {
	t.Helper()
	// The clock starts now, so "the last 10 minutes" of logs means the same
	// to the fake and to the targets.
	f, err := fakeaws.New(fakeaws.Options{Region: o.Region, Account: o.Account, Start: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	prefix := "equiptrack-" + o.Env
	w := &World{Fake: f, Env: o.Env, Region: o.Region, Cluster: prefix, Digests: map[string]string{}}
	f.CreateCluster(prefix)
	svcFacts := map[string]any{}
	mk := func(name string, desired int) map[string]any {
		repo := prefix + "/" + name
		f.CreateRepository(repo, o.Immutable)
		group := "/ecs/" + prefix + "/" + name
		f.CreateLogGroup(group)
		for _, v := range o.Versions {
			d, err := f.PutImage(repo, name+" "+v, v)
			if err != nil {
				t.Fatal(err)
			}
			w.Digests[name+":"+v] = d
		}
		td := map[string]any{
			"family": prefix + "-" + name, "networkMode": "awsvpc", "cpu": "256", "memory": "512",
			"requiresCompatibilities": []string{"FARGATE"},
			"executionRoleArn":        fmt.Sprintf("arn:aws:iam::%s:role/%s-execution", f.Account(), prefix),
			"containerDefinitions": []any{map[string]any{
				"name": name, "image": f.RegistryHost() + "/" + repo + "@" + w.Digests[name+":"+o.Versions[0]], "essential": true,
				"environment": []any{map[string]any{"name": "APP_VERSION", "value": o.Versions[0]}, map[string]any{"name": "PORT", "value": "8080"}},
				"logConfiguration": map[string]any{"logDriver": "awslogs", "options": map[string]any{
					"awslogs-group": group, "awslogs-region": o.Region, "awslogs-stream-prefix": "ecs"}},
			}},
		}
		js, _ := json.Marshal(td)
		arn, err := f.RegisterTaskDefinition(string(js))
		if err != nil {
			t.Fatal(err)
		}
		return map[string]any{
			"service_name": prefix + "-" + name, "task_definition_family": prefix + "-" + name, "task_definition_arn": arn,
			"container_name": name, "repository_url": f.RegistryHost() + "/" + repo, "log_group": group, "desired_count": desired,
			"capacity_provider_strategy": []any{map[string]any{"capacity_provider": "FARGATE", "weight": 1, "base": 1}},
		}
	}
	for _, s := range Services {
		sf := mk(s, 2)
		svcFacts[s] = sf
		if err := f.CreateService(fakeaws.ServiceSpec{Cluster: prefix, Name: sf["service_name"].(string), TaskDefinition: sf["task_definition_arn"].(string), Desired: 2, CircuitBreaker: true}); err != nil {
			t.Fatal(err)
		}
	}
	seeder := mk("seeder", 0)
	delete(seeder, "service_name")
	w.Facts = map[string]any{
		"environment": o.Env, "account_id": f.Account(), "region": o.Region, "cluster_name": prefix, "url": f.URL(),
		"services": svcFacts, "seeder": seeder, "private_subnet_ids": []string{"subnet-a", "subnet-b"},
		"task_security_group_id": "sg-tasks", "registry_immutable": o.Immutable,
		"lock_parameter": "/equiptrack/" + o.Env + "/release/lock", "record_parameter": "/equiptrack/" + o.Env + "/release/record",
	}
	js, _ := json.Marshal(w.Facts)
	f.PutParameter("/equiptrack/"+o.Env+"/release/facts", string(js))
	for _, s := range Services {
		if s != "ui" && s != "gateway" {
			f.Route(prefix, "/api/"+s+"/", prefix+"-gateway", prefix+"-"+s)
		}
	}
	f.Route(prefix, "/api/", prefix+"-gateway")
	f.Route(prefix, "/", prefix+"-ui")
	return w
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

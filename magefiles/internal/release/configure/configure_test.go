package configure

import (
	"reflect"
	"testing"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/release/manifest"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

type stub struct {
	pipeline.ImageBuilder
	pipeline.Registry
	pipeline.TaskRunner
	pipeline.Deployer
	pipeline.Prober
	pipeline.Store
}

func TestPipelineMapsTheManifest(t *testing.T) {
	m := &manifest.Manifest{
		Application: "app",
		Services: []manifest.Service{
			{Name: "gateway", PublicHealthPath: "/api/readyz"},
			{Name: "ui", PublicHealthPath: "/readyz"},
		},
		Migrate: manifest.Migrate{Service: "gateway", Command: []string{"migrate"}},
		Smoke:   manifest.Smoke{Path: "/api/items", ExpectStatus: 200},
		Page:    manifest.Page{Path: "/"},
	}
	s := stub{}
	b := pipeline.Backend{Builder: s, Registry: s, Tasks: s, Deployer: s, Prober: s, Store: s}
	p, err := Pipeline(m, b, Options{Env: "dev", Seed: true, ExpectedFingerprint: "ff",
		Health: pipeline.HealthConfig{P95Budget: time.Second}, LeaseTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Services, []string{"gateway", "ui"}; !reflect.DeepEqual(got, want) {
		t.Errorf("services %v", got)
	}
	want := pipeline.HealthConfig{
		Ready:     []pipeline.ReadyCheck{{Service: "gateway", Path: "/api/readyz"}, {Service: "ui", Path: "/readyz"}},
		SmokePath: "/api/items", SmokeStatus: 200, PagePath: "/", P95Budget: time.Second,
	}
	if !reflect.DeepEqual(p.HealthCheck, want) {
		t.Errorf("health:\n got %+v\nwant %+v", p.HealthCheck, want)
	}
	if !reflect.DeepEqual(p.Migration, pipeline.MigrateConfig{Service: "gateway", Command: []string{"migrate"}}) {
		t.Errorf("migration %+v", p.Migration)
	}
	if p.Seeder == nil || p.Seeder.ExpectedFingerprint != "ff" || p.Env != "dev" || p.LeaseTTL != time.Minute {
		t.Errorf("seed %+v env %q lease %s", p.Seeder, p.Env, p.LeaseTTL)
	}
	p, _ = Pipeline(m, b, Options{Env: "dev"})
	if p.Seeder != nil {
		t.Error("a seeder without Seed")
	}
}

func TestPipelineRefusesAnIncompleteBackend(t *testing.T) {
	s := stub{}
	_, err := Pipeline(&manifest.Manifest{}, pipeline.Backend{Builder: s, Prober: s}, Options{Env: "dev"})
	if err == nil || err.Error() != "configure dev: the backend lacks Registry, Tasks, Deployer, Store" {
		t.Errorf("got %v", err)
	}
	if _, err := Pipeline(nil, pipeline.Backend{}, Options{Env: "dev"}); err == nil || err.Error() != "configure: no manifest" {
		t.Errorf("nil manifest: %v", err)
	}
}

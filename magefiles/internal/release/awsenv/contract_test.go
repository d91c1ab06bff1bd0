package awsenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/dockerup"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
	"github.com/equiptrack/release-kit/magefiles/internal/release/awsenv/fakeaws"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
	"github.com/equiptrack/release-kit/magefiles/pipeline/pipelinetest"
)

// requireDocker starts the kit's Docker engine; without one the test fails
// (it may only be skipped under -short).
func requireDocker(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Docker (skipped under -short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := dockerup.Ensure(ctx, t.Logf); err != nil {
		t.Fatalf("Docker is needed: %v", err)
	}
}

// buildTiny builds a FROM scratch image holding content, tagged ref: real
// images for docker push into the fake ECR.
func buildTiny(t *testing.T, ref, content string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY content /content\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "content"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sh.Output(context.Background(), "docker", "build", "-q", "-t", ref, dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = sh.Output(context.Background(), "docker", "image", "rm", "-f", ref) })
}

// The backend contract, through the real SDK against the fake AWS, with
// real images built and pushed by docker into the fake ECR's registry.
func TestContract(t *testing.T) {
	requireDocker(t)
	w := newWorld(t)
	e := w.open(t)
	w.fake.SetTaskOutcome(func(r fakeaws.TaskRun) fakeaws.Outcome {
		if strings.Join(r.Commands["gateway"], " ") == "false" {
			return fakeaws.Outcome{ExitCodes: map[string]int{"gateway": 1}}
		}
		return fakeaws.Outcome{}
	})
	var n atomic.Int32
	pipelinetest.Run(t, pipelinetest.Harness{
		Backend: e.Backend(nil),
		Service: "gateway",
		Version: func(*testing.T) string { return fmt.Sprintf("v3.0.%d", n.Add(1)) },
		Image: func(t *testing.T, version string, variant int) pipeline.Image {
			ref := w.facts.Services["gateway"].Repository + ":" + version
			buildTiny(t, ref, fmt.Sprintf("gateway %s variant %d", version, variant))
			return pipeline.Image{Service: "gateway", Version: version, Ref: ref}
		},
		OKCommand: []string{"true"}, FailCommand: []string{"false"},
		Expire:  func(*testing.T) { w.fake.Clock.Advance(24 * time.Hour) },
		Timeout: 2 * time.Minute,
	})
}

package dockerup

import (
	"context"
	"os"
	"strings"
	"testing"
)

// An engine named by DOCKER_HOST that does not answer is reported, never
// "fixed" by starting a different local daemon behind the caller's back.
func TestEnsureReportsADeadDockerHost(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	t.Setenv("EQUIPTRACK_KIT_CACHE", t.TempDir())
	err := Ensure(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "no engine answers at DOCKER_HOST=unix:///nonexistent/docker.sock") {
		t.Fatalf("Ensure = %v, want an error naming DOCKER_HOST", err)
	}
}

// With an engine running, Ensure is idempotent and silent (a laptop with
// Docker sees no output at all).
func TestEnsureIsQuietWhenDockerAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker (skipped under -short)")
	}
	var lines []string
	logf := func(f string, a ...any) { lines = append(lines, f) }
	if err := Ensure(context.Background(), logf); err != nil {
		t.Fatalf("first Ensure: %v", err)
	}
	lines = nil
	if err := Ensure(context.Background(), logf); err != nil {
		t.Fatalf("second Ensure: %v", err)
	}
	if len(lines) != 0 {
		t.Errorf("Ensure with a running engine printed %q, want nothing", lines)
	}
	if ServerVersion(context.Background()) == "" {
		t.Error("ServerVersion is empty after Ensure succeeded")
	}
}

func TestTestcontainersEnvKeepsCallerSettings(t *testing.T) {
	t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "")
	t.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "10.0.0.7")
	TestcontainersEnv()
	if got := os.Getenv("TESTCONTAINERS_RYUK_DISABLED"); got != "true" {
		t.Errorf("TESTCONTAINERS_RYUK_DISABLED = %q, want true", got)
	}
	if got := os.Getenv("TESTCONTAINERS_HOST_OVERRIDE"); got != "10.0.0.7" {
		t.Errorf("TESTCONTAINERS_HOST_OVERRIDE = %q, want the caller's 10.0.0.7", got)
	}
}

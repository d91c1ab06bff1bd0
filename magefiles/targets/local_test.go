package targets

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/release/manifest"
)

// An invalid version is refused before any work: with no application, no
// Docker engine and an empty cache, the only possible answer is the version
// error, and nothing is created.
func TestLocalTargetsRefuseInvalidVersionsBeforeAnyWork(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("EQUIPTRACK_KIT_CACHE", cache)
	t.Setenv("APP_DIR", filepath.Join(cache, "no-such-app"))
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(cache, "no-docker.sock"))
	ctx := context.Background()
	targets := map[string]func(string) error{
		"release":  func(v string) error { return Local{}.Release(ctx, v, nil) },
		"rollback": func(v string) error { return Local{}.Rollback(ctx, v) },
		"build":    func(v string) error { return Local{}.Build(ctx, v) },
		"push":     func(v string) error { return Local{}.Push(ctx, v) },
		"migrate":  func(v string) error { return Local{}.Migrate(ctx, v) },
		"deploy":   func(v string) error { return Local{}.Deploy(ctx, v) },
	}
	const want = "want vX.Y.Z (strict semver, e.g. v1.2.3: no leading zeros, no suffix)"
	cases := map[string]string{
		"":               "invalid version: empty; " + want,
		"1.2":            `invalid version "1.2": ` + want,
		"v1.2.3-":        `invalid version "v1.2.3-": ` + want,
		"v1.2.3-garbage": `invalid version "v1.2.3-garbage": ` + want,
		"v1.2":           `invalid version "v1.2": ` + want,
	}
	for name, target := range targets {
		for v, msg := range cases {
			if name == "rollback" {
				msg += ` (or "previous")` // rollback also accepts the recorded previous version
			}
			start := time.Now()
			err := target(v)
			if err == nil || err.Error() != msg {
				t.Errorf("local:%s %q: got %v, want %q", name, v, err, msg)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("local:%s %q took %s: work was done before the check", name, v, d)
			}
		}
	}
	t.Setenv("SEED", "maybe")
	if err := (Local{}).Release(ctx, "v1.2.3", nil); err == nil || err.Error() != `SEED="maybe": want 1/0 or true/false` {
		t.Errorf("SEED=maybe: got %v", err)
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Errorf("the cache is not empty: %v", entries)
	}
}

// The targets can be pulled into another module's magefile with
// `// mage:import`, as an application repository would.
func TestTargetsImportIntoAnotherModule(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a magefile in a temporary module")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	kit, err := manifest.KitDir(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", `module example.com/app

go 1.26.0

require (
	github.com/equiptrack/release-kit v0.0.0
	github.com/magefile/mage v1.17.2
)

replace github.com/equiptrack/release-kit => `+kit+"\n")
	sum, err := os.ReadFile(filepath.Join(kit, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	write("go.sum", string(sum))
	write("magefile.go", `//go:build mage

package main

import (
	//mage:import
	_ "github.com/equiptrack/release-kit/magefiles/targets"
)
`)
	cmd := exec.CommandContext(ctx, "go", "run", "github.com/magefile/mage", "-l")
	cmd.Dir = dir
	// -mod=mod lets the go command complete the temporary module's
	// requirements from the kit's go.mod (through the replace).
	// A fresh mage cache: a binary compiled earlier must not stand in for
	// today's targets.
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "MAGEFILE_CACHE="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mage -l: %v\n%s", err, out)
	}
	t.Logf("mage -l in the importing module:\n%s", out)
	for _, target := range []string{"local:up", "local:release", "local:rollback", "local:status", "local:down",
		"local:test", "local:build", "local:push", "local:migrate", "local:deploy", "local:health"} {
		found := false
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) > 0 && strings.EqualFold(f[0], target) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s is not listed:\n%s", target, out)
		}
	}
	// -l only parses; running a target compiles the importing module's
	// magefile against the kit for real. An invalid version makes the run
	// end at once, before any work, with the target's one-line error.
	run := exec.CommandContext(ctx, "go", "run", "github.com/magefile/mage", "local:release", "1.2")
	run.Dir = dir
	run.Env = cmd.Env
	out, err = run.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("local:release 1.2 in the importing module: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `Error: invalid version "1.2": want vX.Y.Z`) {
		t.Errorf("local:release 1.2 in the importing module:\n%s", out)
	}
}

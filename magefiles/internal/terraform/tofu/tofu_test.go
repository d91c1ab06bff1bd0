package tofu

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

func TestReplaceLines(t *testing.T) {
	gomod := []byte(`module github.com/opentofu/opentofu

go 1.25

require (
	github.com/hashicorp/hcl/v2 v2.20.1
)

replace github.com/hashicorp/hcl/v2 v2.20.1 => github.com/opentofu/hcl/v2 v2.20.2-0.20251021132045-587d123c2828 // fork

replace (
	example.com/a => example.com/b v1.0.0
	example.com/local => ./local
)
`)
	got := replaceLines(gomod)
	want := []string{
		"github.com/hashicorp/hcl/v2 v2.20.1 => github.com/opentofu/hcl/v2 v2.20.2-0.20251021132045-587d123c2828",
		"example.com/a => example.com/b v1.0.0",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("replaceLines:\n got %q\nwant %q", got, want)
	}
}

func TestEnsureVersionRejectsBadVersion(t *testing.T) {
	t.Setenv("EQUIPTRACK_KIT_CACHE", t.TempDir())
	_, err := ensureVersion(context.Background(), "1.12", t.Logf)
	if err == nil || err.Error() != `tofu: version "1.12" is not of the form v1.2.3` {
		t.Fatalf("err = %v", err)
	}
}

// TestEnsureUsesCache: a binary already at the cache path is returned as is
// (no build is attempted: the fake is a shell script that a build would
// overwrite).
func TestEnsureUsesCache(t *testing.T) {
	t.Setenv("EQUIPTRACK_KIT_CACHE", t.TempDir())
	p, err := Path("v9.9.9")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho fake\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := ensureVersion(context.Background(), "v9.9.9", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if got != p {
		t.Fatalf("got %s, want %s", got, p)
	}
	if filepath.Base(filepath.Dir(got)) != "v9.9.9" {
		t.Fatalf("cache path not keyed by version: %s", got)
	}
}

// TestEnsureRealBinary builds (cold, ~4 min) or reuses the pinned OpenTofu
// and checks that it runs and reports the pinned version.
func TestEnsureRealBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds OpenTofu when not cached")
	}
	bin, err := Ensure(context.Background(), t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "version", "-json")
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE=/dev/null")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	// Built from the module proxy without release ldflags, OpenTofu
	// marks itself as a dev build.
	if v.Version != "1.12.6-dev" {
		t.Fatalf("version %q, want 1.12.6-dev", v.Version)
	}
}

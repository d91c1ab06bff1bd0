package cachedir

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRootPrecedence(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv(EnvVar, "")
	t.Setenv("XDG_CACHE_HOME", tmp)
	got, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(tmp, "equiptrack-kit"); got != want {
		t.Errorf("Root() with XDG_CACHE_HOME = %q, want %q", got, want)
	}

	override := filepath.Join(tmp, "override")
	t.Setenv(EnvVar, override)
	got, err = Root()
	if err != nil {
		t.Fatal(err)
	}
	if got != override {
		t.Errorf("Root() with %s = %q, want %q", EnvVar, got, override)
	}
}

func TestDirCreates(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv(EnvVar, tmp)
	d, err := Dir("tofu", "v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(tmp, "tofu", "v1.2.3"); d != want {
		t.Errorf("Dir = %q, want %q", d, want)
	}
	if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
		t.Errorf("Dir did not create %s: %v", d, err)
	}
}

func TestMayBuildOnlyOutsideProvisioned(t *testing.T) {
	ctx := context.Background()
	if err := MayBuild(ctx, "OpenTofu v1.10.0"); err != nil {
		t.Errorf("plain context: %v", err)
	}
	err := MayBuild(Provisioned(ctx), "OpenTofu v1.10.0")
	want := "OpenTofu v1.10.0 is not provisioned: tests never build tools inside their timeout; run `go run magefile.go test:tools` (or the whole `go run magefile.go test`) first"
	if !errors.Is(err, ErrNotProvisioned) || err.Error() != want {
		t.Errorf("provisioned context: %v", err)
	}
}

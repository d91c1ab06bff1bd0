package tofu

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The registrations as OpenTofu v1.12.6 writes them (an excerpt of each file).
const (
	initExcerpt = `import (
	backendLocal "github.com/opentofu/opentofu/internal/backend/local"
	backendGCS "github.com/opentofu/opentofu/internal/backend/remote-state/gcs"
	backendS3 "github.com/opentofu/opentofu/internal/backend/remote-state/s3"
)

	backends = map[string]backend.InitFn{
		"local":  func(enc encryption.StateEncryption) backend.Backend { return backendLocal.New(enc) },
		"gcs":        func(enc encryption.StateEncryption) backend.Backend { return backendGCS.New(enc) },
		"s3":         func(enc encryption.StateEncryption) backend.Backend { return backendS3.New(enc) },
	}
`
	registryExcerpt = `import (
	"github.com/opentofu/opentofu/internal/encryption/keyprovider/aws_kms"
	"github.com/opentofu/opentofu/internal/encryption/keyprovider/gcp_kms"
)

func init() {
	if err := DefaultRegistry.RegisterKeyProvider(aws_kms.New()); err != nil {
		panic(err)
	}
	if err := DefaultRegistry.RegisterKeyProvider(gcp_kms.New()); err != nil {
		panic(err)
	}
}
`
)

func writeExcerpts(t *testing.T, init, registry string) string {
	t.Helper()
	dir := t.TempDir()
	for path, body := range map[string]string{backendsFile: init, keyProvidersFile: registry} {
		p := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRecipeLeavesOutWhatItNames(t *testing.T) {
	dir := writeExcerpts(t, initExcerpt, registryExcerpt)
	r := recipe{Backends: []string{"gcs"}, KeyProviders: []string{"gcp_kms"}}
	if err := r.apply(dir); err != nil {
		t.Fatal(err)
	}
	wantInit := `import (
	backendLocal "github.com/opentofu/opentofu/internal/backend/local"
	backendS3 "github.com/opentofu/opentofu/internal/backend/remote-state/s3"
)

	backends = map[string]backend.InitFn{
		"local":  func(enc encryption.StateEncryption) backend.Backend { return backendLocal.New(enc) },
		"s3":         func(enc encryption.StateEncryption) backend.Backend { return backendS3.New(enc) },
	}
`
	wantRegistry := `import (
	"github.com/opentofu/opentofu/internal/encryption/keyprovider/aws_kms"
)

func init() {
	if err := DefaultRegistry.RegisterKeyProvider(aws_kms.New()); err != nil {
		panic(err)
	}
}
`
	for path, want := range map[string]string{backendsFile: wantInit, keyProvidersFile: wantRegistry} {
		b, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want {
			t.Errorf("%s:\n%s\nwant:\n%s", path, b, want)
		}
	}
}

// A release whose files read otherwise stops the build, naming what it
// could not find, instead of building something other than it says.
func TestRecipeRefusesAnUnknownForm(t *testing.T) {
	for _, tc := range []struct {
		name     string
		recipe   recipe
		registry string
		want     string
	}{
		{"backend missing", recipe{Backends: []string{"consul"}}, registryExcerpt,
			"slim build: init.go: backend consul in the backends table: found 0 times, want once"},
		{"key provider missing", recipe{KeyProviders: []string{"openbao"}}, registryExcerpt,
			"slim build: default_registry.go: import of key provider openbao: found 0 times, want once"},
		{"registration reworded", recipe{KeyProviders: []string{"gcp_kms"}},
			strings.Replace(registryExcerpt, "RegisterKeyProvider(gcp_kms.New())", "RegisterKeyProvider(gcp_kms.NewProvider())", 1),
			"slim build: default_registry.go: registration of key provider gcp_kms: found 0 times, want once"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeExcerpts(t, initExcerpt, tc.registry)
			err := tc.recipe.apply(dir)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v\nwant %s", err, tc.want)
			}
		})
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
	// Keyed by the version and the recipe: a binary built with other
	// backends is another binary.
	if !regexp.MustCompile(`^v9\.9\.9-slim-[0-9a-f]{8}$`).MatchString(filepath.Base(filepath.Dir(got))) {
		t.Fatalf("cache path not keyed by version and recipe: %s", got)
	}
	if a, b := slim.key(), (recipe{Backends: slim.Backends}).key(); a == b {
		t.Fatalf("two recipes share the key %s", a)
	}
}

// TestEnsureRealBinary builds (cold, ~4 min) or reuses the pinned OpenTofu
// and checks that it runs and reports the pinned version.
func TestEnsureRealBinary(t *testing.T) {
	out, err := tofuCommand(t, t.TempDir(), "version", "-json").Output()
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

// The slim build still has the s3 backend the roots keep their state in
// (its own validation answers, before any network), and a left-out backend
// is refused at init with OpenTofu's own message.
func TestSlimBinaryBackends(t *testing.T) {
	for _, tc := range []struct{ backend, want string }{
		{`backend "s3" {
    bucket = ""
    key    = "equiptrack/dev.tfstate"
    region = "us-west-2"
  }`, `The "bucket" attribute value must not be empty.`},
		{`backend "gcs" {
    bucket = "b"
  }`, `There is no backend type named "gcs".`},
		{`backend "kubernetes" {
    secret_suffix = "s"
  }`, `There is no backend type named "kubernetes".`},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte("terraform {\n  "+tc.backend+"\n}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := tofuCommand(t, dir, "init", "-input=false", "-no-color").CombinedOutput()
		// Both fail: one on its configuration, one on its name.
		if err == nil || !strings.Contains(strings.Join(strings.Fields(string(out)), " "), tc.want) {
			t.Errorf("init with %s: %v\n%s\nwant an error saying %q", strings.Fields(tc.backend)[1], err, out, tc.want)
		}
	}
}

// tofuCommand is the pinned OpenTofu (built when not cached; skipped under
// -short) running args in dir, with no CLI configuration of the machine's.
func tofuCommand(t *testing.T, dir string, args ...string) *exec.Cmd {
	t.Helper()
	if testing.Short() {
		t.Skip("builds OpenTofu when not cached")
	}
	bin, err := Ensure(context.Background(), t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE=/dev/null", "TF_IN_AUTOMATION=1")
	return cmd
}

// TestSlimBinaryModuleSources: the module installer is built without
// go-getter's cloud getters, so an s3:: or gcs:: source fails with the
// cut's error (and no network call), while a local module still installs.
func TestSlimBinaryModuleSources(t *testing.T) {
	for _, tc := range []struct{ source, want string }{
		{"s3::https://s3.us-west-2.amazonaws.com/bucket/vpc.zip", "equiptrack kit's build: (*S3Getter)."},
		{"gcs::https://www.googleapis.com/storage/v1/bucket/vpc.zip", "equiptrack kit's build: (*GCSGetter)."},
		{"./local", "OpenTofu has been successfully initialized!"},
	} {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "local"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte("module \"m\" {\n  source = \""+tc.source+"\"\n}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, _ := tofuCommand(t, dir, "init", "-input=false", "-no-color", "-backend=false").CombinedOutput()
		if got := strings.Join(strings.Fields(string(out)), " "); !strings.Contains(got, tc.want) {
			t.Errorf("init with module source %s:\n%s\nwant it to say %q", tc.source, out, tc.want)
		}
	}
}

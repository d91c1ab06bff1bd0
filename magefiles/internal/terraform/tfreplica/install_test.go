package tfreplica

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfreplica/provider"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfreplica/schemaindex"
)

func TestCLIConfig(t *testing.T) {
	want := `# Written by the equiptrack kit (tfreplica): serve hashicorp/aws from the
# schema replica in a local filesystem mirror, never from a registry.
provider_installation {
  filesystem_mirror {
    path    = "/c/mirror-1"
    include = ["registry.opentofu.org/hashicorp/aws", "registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.opentofu.org/hashicorp/aws", "registry.terraform.io/hashicorp/aws"]
  }
}
`
	if got := CLIConfig("/c/mirror-1"); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestPlatformDir(t *testing.T) {
	got := platformDir("/m", "registry.opentofu.org", "6.66.0")
	want := "/m/registry.opentofu.org/hashicorp/aws/6.66.0/" + runtime.GOOS + "_" + runtime.GOARCH
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if binaryName("6.66.0") != "terraform-provider-aws_v6.66.0" {
		t.Errorf("binaryName = %s", binaryName("6.66.0"))
	}
}

func TestEnsureSchemaRejectsBadInput(t *testing.T) {
	t.Setenv("EQUIPTRACK_KIT_CACHE", t.TempDir())
	ctx := context.Background()
	if _, err := ensureSchema(ctx, "provider/testdata/schema.json", "6.66/x", t.Logf); err == nil || !strings.Contains(err.Error(), "bad provider version") {
		t.Errorf("bad version: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "s.json")
	if err := os.WriteFile(bad, []byte(`{"format_version":"1.0","provider_schemas":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ensureSchema(ctx, bad, "6.66.0", t.Logf); err == nil || !strings.Contains(err.Error(), "no registry.terraform.io/hashicorp/aws") {
		t.Errorf("bad schema: %v", err)
	}
	if _, err := ensureSchema(ctx, filepath.Join(t.TempDir(), "missing.json"), "6.66.0", t.Logf); err == nil {
		t.Error("missing schema accepted")
	}
}

// TestEnsureSchemaInstallsMirror builds the replica into a fresh cache and
// checks the mirror layout OpenTofu and Terraform expect; a second call
// reuses it without building.
func TestEnsureSchemaInstallsMirror(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the provider (skipped under -short)")
	}
	t.Setenv("EQUIPTRACK_KIT_CACHE", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	m, err := ensureSchema(ctx, "provider/testdata/schema.json", "6.66.0", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	schema, _ := os.ReadFile("provider/testdata/schema.json")
	for _, host := range []string{"registry.opentofu.org", "registry.terraform.io"} {
		dir := platformDir(m.Dir, host, "6.66.0")
		fi, err := os.Stat(filepath.Join(dir, "terraform-provider-aws_v6.66.0"))
		if err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("%s: provider binary missing or not executable (%v)", host, err)
		}
		got, err := os.ReadFile(filepath.Join(dir, "schema.json"))
		if err != nil || !bytes.Equal(got, schema) {
			t.Errorf("%s: schema.json not installed intact (%v)", host, err)
		}
		// Its index beside it, so that each start reads only its types.
		if idx, err := schemaindex.Load(filepath.Join(dir, "schema.json")); err != nil || len(idx.Resources) == 0 {
			t.Errorf("%s: schema index: %+v, %v", host, idx, err)
		}
	}
	cfg, err := os.ReadFile(m.CLIConfig)
	if err != nil || string(cfg) != CLIConfig(m.Dir) {
		t.Errorf("CLI config: %v\n%s", err, cfg)
	}
	if m.Env()["TF_CLI_CONFIG_FILE"] != m.CLIConfig {
		t.Errorf("Env = %v", m.Env())
	}
	// Second call: same mirror, nothing rebuilt (the binary is untouched).
	before, _ := os.Stat(m.Binary)
	m2, err := ensureSchema(ctx, "provider/testdata/schema.json", "6.66.0", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(m2.Binary)
	if m2.Dir != m.Dir || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("second call rebuilt: %s vs %s", m2.Dir, m.Dir)
	}
	// Another provider version is another mirror.
	m3, err := ensureSchema(ctx, "provider/testdata/schema.json", "6.67.0", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if m3.Dir == m.Dir {
		t.Error("a new version reused the mirror")
	}
}

func TestPrune(t *testing.T) {
	root := t.TempDir()
	mk := func(name string, age time.Duration) {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Join(dir, "x"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dir+".tfrc", nil, 0o644); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		if err := os.Chtimes(dir+".tfrc", old, old); err != nil {
			t.Fatal(err)
		}
	}
	mk("mirror-old", 72*time.Hour)
	mk("mirror-recent", time.Hour)
	mk("mirror-keep", 72*time.Hour)
	if n := prune(root, filepath.Join(root, "mirror-keep"), 48*time.Hour); n != 1 {
		t.Errorf("pruned %d, want 1", n)
	}
	for name, want := range map[string]bool{"mirror-old": false, "mirror-recent": true, "mirror-keep": true} {
		_, err := os.Stat(filepath.Join(root, name))
		if (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", name, err == nil, want)
		}
	}
}

// The installer repeats the replica's file and variable names rather than
// importing the server; the copies must agree.
func TestNamesAgreeWithTheProvider(t *testing.T) {
	if SchemaFileName != provider.SchemaFileName || TypesEnv != provider.TypesEnv {
		t.Errorf("tfreplica has %q/%q, the provider %q/%q", SchemaFileName, TypesEnv, provider.SchemaFileName, provider.TypesEnv)
	}
}

// Package tfreplica builds the schema replica of the hashicorp/aws provider
// (package provider, main in ./cmd/terraform-provider-aws) and installs it,
// next to the schema JSON from tfschema, into a filesystem mirror under the
// kit's cache, with a CLI configuration file that points OpenTofu (or
// Terraform) at it. See docs/terraform-testing.md.
package tfreplica

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/cachedir"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/filelock"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfreplica/schemaindex"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfschema"
)

// The replica's binary reads these; they are repeated here, not imported,
// so that importing the installer (tfdriver, the targets) does not compile
// the provider server and terraform-plugin-go into every magefile
// (install_test.go keeps the two copies equal).
const (
	// SchemaFileName is the schema's name next to the provider binary.
	SchemaFileName = "schema.json"
	// TypesEnv names the file of the types the replica serves (see
	// provider.TypesEnv).
	TypesEnv = "TFREPLICA_TYPES"
)

// Package is the import path of the replica's main package.
const Package = "github.com/equiptrack/release-kit/magefiles/internal/terraform/tfreplica/cmd/terraform-provider-aws"

// Mirror is an installed replica: a filesystem mirror holding the provider
// and a CLI configuration file that points OpenTofu at it.
type Mirror struct {
	// Dir is the filesystem mirror's root (unpacked layout).
	Dir string
	// CLIConfig is the file to pass as TF_CLI_CONFIG_FILE.
	CLIConfig string
	// ProviderVersion is the version the replica is installed as.
	ProviderVersion string
	// Binary is the installed provider executable.
	Binary string
}

// Env returns the environment entries that make OpenTofu (or Terraform)
// use the mirror: the CLI configuration, and no checkpoint calls.
func (m *Mirror) Env() map[string]string {
	return map[string]string{
		"TF_CLI_CONFIG_FILE": m.CLIConfig,
		"CHECKPOINT_DISABLE": "1",
	}
}

// hosts are the registry hostnames the replica is installed under:
// OpenTofu resolves `hashicorp/aws` to registry.opentofu.org, Terraform to
// registry.terraform.io; the mirror serves both so the same configuration
// initialises with either.
var hosts = []string{"registry.opentofu.org", "registry.terraform.io"}

// CLIConfig returns the CLI configuration text for a mirror at dir:
// hashicorp/aws comes from the mirror only (direct excludes it, so a
// missing mirror entry is an error, not a download attempt); any other
// provider would be fetched directly, which fails offline with a clear
// message naming it.
func CLIConfig(dir string) string {
	var addrs []string
	for _, h := range hosts {
		addrs = append(addrs, fmt.Sprintf("%q", h+"/hashicorp/aws"))
	}
	list := strings.Join(addrs, ", ")
	return fmt.Sprintf(`# Written by the equiptrack kit (tfreplica): serve hashicorp/aws from the
# schema replica in a local filesystem mirror, never from a registry.
provider_installation {
  filesystem_mirror {
    path    = %q
    include = [%s]
  }
  direct {
    exclude = [%s]
  }
}
`, dir, list, list)
}

// platformDir is the mirror directory of the provider binary for a version
// on the running platform (unpacked layout).
func platformDir(mirror, host, version string) string {
	return filepath.Join(mirror, host, "hashicorp", "aws", version, runtime.GOOS+"_"+runtime.GOARCH)
}

// binaryName is the provider executable's conventional name.
func binaryName(version string) string { return "terraform-provider-aws_v" + version }

var buildMu sync.Mutex

// ensureSchema installs the replica with the schema at schemaPath into a
// mirror under the cache as hashicorp/aws version. The mirror is keyed by
// the replica's sources (see sourceKey), the schema and the version, so a
// change to any installs a new one, a mirror in use is never modified, and
// an unchanged replica is not rebuilt (a warm call costs one `go list`).
func ensureSchema(ctx context.Context, schemaPath, version string, logf sh.Logf) (*Mirror, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	if version == "" || strings.ContainsAny(version, "/ ") {
		return nil, fmt.Errorf("tfreplica: bad provider version %q", version)
	}
	if _, err := tfschema.Load(schemaPath); err != nil {
		return nil, fmt.Errorf("tfreplica: %w", err)
	}
	schema, err := os.ReadFile(schemaPath)
	if err != nil {
		return nil, fmt.Errorf("tfreplica: schema: %w", err)
	}
	root, err := cachedir.Dir("tfreplica")
	if err != nil {
		return nil, fmt.Errorf("tfreplica: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	start := time.Now()
	srcKey, err := sourceKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("tfreplica: %w", err)
	}
	h := sha256.New()
	h.Write([]byte(srcKey))
	h.Write(schema)
	h.Write([]byte(version))
	key := hex.EncodeToString(h.Sum(nil))[:16]

	m := &Mirror{
		Dir:             filepath.Join(root, "mirror-"+key),
		CLIConfig:       filepath.Join(root, "mirror-"+key+".tfrc"),
		ProviderVersion: version,
	}
	m.Binary = filepath.Join(platformDir(m.Dir, hosts[0], version), binaryName(version))
	if _, err := os.Stat(m.CLIConfig); err == nil {
		// Complete (the config is written last). Mark it used, for pruning.
		now := time.Now()
		_ = os.Chtimes(m.CLIConfig, now, now)
		return m, nil
	}
	unlock, err := filelock.Lock(ctx, m.Dir+".lock", nil)
	if err != nil {
		return nil, fmt.Errorf("tfreplica: %w", err)
	}
	defer unlock()
	if _, err := os.Stat(m.CLIConfig); err == nil {
		return m, nil
	}
	if err := cachedir.MayBuild(ctx, "the hashicorp/aws schema replica ("+m.Dir+")"); err != nil {
		return nil, fmt.Errorf("tfreplica: %w", err)
	}
	tmpBin := filepath.Join(root, fmt.Sprintf("build-%d", os.Getpid()))
	defer os.Remove(tmpBin)
	// The replica is a package of this module, built with the flags and
	// environment of the kit's own builds (no -trimpath, cgo as the caller
	// has it): the test run's compile step has then built its packages
	// already (gRPC, protobuf, terraform-plugin-go), and this is a link.
	// -s -w: no symbol table or DWARF to link (OpenTofu runs it, nobody
	// debugs it).
	build := sh.Options{WaitDelay: 10 * time.Second}
	if _, err := build.Run(ctx, "go", "build", "-ldflags=-s -w", "-o", tmpBin, Package); err != nil {
		return nil, fmt.Errorf("tfreplica: %w", err)
	}
	bin, err := os.ReadFile(tmpBin)
	if err != nil {
		return nil, fmt.Errorf("tfreplica: %w", err)
	}
	for _, host := range hosts {
		if err := installPlatformDir(platformDir(m.Dir, host, version), version, bin, schema); err != nil {
			return nil, fmt.Errorf("tfreplica: install: %w", err)
		}
	}
	if err := writeFileAtomic(m.CLIConfig, []byte(CLIConfig(m.Dir))); err != nil {
		return nil, fmt.Errorf("tfreplica: %w", err)
	}
	logf("tfreplica: installed hashicorp/aws %s (schema replica) into %s in %s", version, m.Dir, time.Since(start).Round(100*time.Millisecond))
	if n := prune(root, m.Dir, pruneAfter); n > 0 {
		logf("tfreplica: removed %d mirror(s) unused for %s", n, pruneAfter)
	}
	return m, nil
}

// pruneAfter: a mirror not used for this long is removed when another is
// installed (every use refreshes its configuration file's time; a mirror a
// running check still uses was used within the hour).
const pruneAfter = 48 * time.Hour

// prune removes mirrors other than keep whose configuration file is older
// than age, and returns how many it removed.
func prune(root, keep string, age time.Duration) int {
	cfgs, _ := filepath.Glob(filepath.Join(root, "mirror-*.tfrc"))
	n := 0
	for _, cfg := range cfgs {
		dir := strings.TrimSuffix(cfg, ".tfrc")
		fi, err := os.Stat(cfg)
		if err != nil || dir == keep || time.Since(fi.ModTime()) < age {
			continue
		}
		// Configuration first: a half-removed mirror is then never "complete".
		if os.Remove(cfg) == nil && os.RemoveAll(dir) == nil {
			_ = os.Remove(dir + ".lock")
			n++
		}
	}
	return n
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// installPlatformDir writes binary and schema aside and renames the
// directory into place: OpenTofu must never see a binary without its schema.
func installPlatformDir(pdir, version string, bin, schema []byte) error {
	if err := os.MkdirAll(filepath.Dir(pdir), 0o755); err != nil {
		return err
	}
	tmpDir, err := os.MkdirTemp(filepath.Dir(pdir), ".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmpDir)
	if err := os.WriteFile(filepath.Join(tmpDir, binaryName(version)), bin, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmpDir, SchemaFileName), schema, 0o644); err != nil {
		return err
	}
	// The index lets each provider start read only the types it serves.
	idx, err := schemaindex.Build(schema)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmpDir, SchemaFileName+schemaindex.Suffix), idx, 0o644); err != nil {
		return err
	}
	_ = os.RemoveAll(pdir) // a leftover of an interrupted install
	return os.Rename(tmpDir, pdir)
}

// sourceKey identifies the provider binary's sources without building it:
// the toolchain, every dependency's module version and the content of the
// main module's packages among the dependencies (the replica's own code).
func sourceKey(ctx context.Context) (string, error) {
	out, err := sh.Output(ctx, "go", "list", "-deps", "-f",
		`{{.ImportPath}}|{{if .Module}}{{.Module.Path}}@{{.Module.Version}}|{{.Module.Main}}{{else}}std|false{{end}}|{{.Dir}}|{{join .GoFiles ","}}`, Package)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write([]byte(runtime.Version()))
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "|")
		if len(f) != 5 {
			return "", fmt.Errorf("go list: unexpected line %q", line)
		}
		h.Write([]byte(f[0] + "|" + f[1] + "\n"))
		if f[2] != "true" {
			continue // standard library or a versioned module
		}
		for _, name := range strings.Split(f[4], ",") {
			b, err := os.ReadFile(filepath.Join(f[3], name))
			if err != nil {
				return "", err
			}
			h.Write([]byte(name + "\n"))
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

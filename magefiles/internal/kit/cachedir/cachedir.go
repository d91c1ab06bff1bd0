// Package cachedir names the one place, outside any clone, where the kit keeps
// what is expensive to make: built tools (OpenTofu, scanners), base-image root
// filesystems, the provider schema. CI runs in a fresh clone in another folder,
// so a cache inside the repository would always be cold there.
package cachedir

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// EnvVar overrides the cache root.
const EnvVar = "EQUIPTRACK_KIT_CACHE"

// Root returns the cache root: $EQUIPTRACK_KIT_CACHE, else
// $XDG_CACHE_HOME/equiptrack-kit, else ~/.cache/equiptrack-kit.
func Root() (string, error) {
	if d := os.Getenv(EnvVar); d != "" {
		return filepath.Abs(d)
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "equiptrack-kit"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cache directory: no home directory (set %s): %w", EnvVar, err)
	}
	return filepath.Join(home, ".cache", "equiptrack-kit"), nil
}

// Dir returns (and creates) a directory below the cache root, e.g.
// Dir("tofu", "v1.12.6").
func Dir(parts ...string) (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	d := filepath.Join(append([]string{root}, parts...)...)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", fmt.Errorf("cache directory %s: %w", d, err)
	}
	return d, nil
}

type provisionedKey struct{}

// Provisioned returns a context under which the kit's Ensure functions
// (OpenTofu, the provider schema and replica, the Go tools, the data image)
// only find what is already in the cache: a missing tool is an error naming
// it, never a build. Tests run under it: `go run magefile.go test`
// provisions every tool first, with progress lines and no test timeout
// around it, and a build inside a test's timeout (OpenTofu takes minutes on
// a busy machine) would be killed with nothing but "signal: killed".
func Provisioned(ctx context.Context) context.Context {
	return context.WithValue(ctx, provisionedKey{}, true)
}

// ErrNotProvisioned is the error of MayBuild under Provisioned.
var ErrNotProvisioned = errors.New("not provisioned")

// MayBuild returns nil when ctx allows making what (a tool, an image) and
// otherwise an error saying how to provision it.
func MayBuild(ctx context.Context, what string) error {
	if v, _ := ctx.Value(provisionedKey{}).(bool); !v {
		return nil
	}
	return fmt.Errorf("%s is %w: tests never build tools inside their timeout; run `go run magefile.go test:tools` (or the whole `go run magefile.go test`) first", what, ErrNotProvisioned)
}

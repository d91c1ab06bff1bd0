package manifest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// SeederPackage is the seeder's main package, built into the seeder image.
const SeederPackage = KitModule + "/seeddata/cmd/seed"

// SeederContext prepares the seeder image's build context the same way for
// every backend: the seeder binary, built by goBuild (the caller's way of
// running a command, with the environment of the image's platform and
// CGO_ENABLED=0), beside seeddata/Dockerfile in a scratch directory — the
// kit's directory may be a read-only module cache. cleanup removes it.
func SeederContext(ctx context.Context, goBuild func(ctx context.Context, argv ...string) error) (dir string, cleanup func(), err error) {
	kit, err := KitDir(ctx)
	if err != nil {
		return "", nil, err
	}
	df, err := os.ReadFile(filepath.Join(kit, "seeddata", "Dockerfile"))
	if err != nil {
		return "", nil, fmt.Errorf("seeder Dockerfile: %w", err)
	}
	tmp, err := os.MkdirTemp("", "equiptrack-seeder-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { _ = os.RemoveAll(tmp) }
	if err := goBuild(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(tmp, "bin", "seed"), SeederPackage); err != nil {
		cleanup()
		return "", nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "Dockerfile"), df, 0o644); err != nil {
		cleanup()
		return "", nil, err
	}
	return tmp, cleanup, nil
}

package targets

import (
	"context"
	"fmt"
	"github.com/magefile/mage/mg"
	"os"

	"github.com/equiptrack/release-kit/magefiles/dockerup"
	"github.com/equiptrack/release-kit/magefiles/gotest"
)

// Test runs the kit's test suites.
type Test mg.Namespace

// All runs every test of the repository: unit, property-based, the seeder
// against real PostgreSQL and Redis containers, the Terraform checks with
// OpenTofu, and the local release end to end. Docker is installed and started
// when missing. Env: GOTEST_FLAGS adds flags to go test (e.g. "-run Seed").
func (Test) All(ctx context.Context) error {
	if err := dockerup.Ensure(ctx, logf); err != nil {
		return fmt.Errorf("test: %w", err)
	}
	return gotest.Run(ctx, gotest.Options{Extra: os.Getenv("GOTEST_FLAGS")})
}

// Unit runs the fast tests only (go test -short): no Docker, no OpenTofu.
func (Test) Unit(ctx context.Context) error {
	return gotest.Run(ctx, gotest.Options{Short: true, Extra: os.Getenv("GOTEST_FLAGS")})
}

func logf(format string, args ...any) { fmt.Printf(format+"\n", args...) }

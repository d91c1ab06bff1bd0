package targets

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/magefile/mage/mg"

	"github.com/equiptrack/release-kit/magefiles/internal/check/gotest"
	"github.com/equiptrack/release-kit/magefiles/internal/check/lint"
	"github.com/equiptrack/release-kit/magefiles/internal/docker/dockerup"
)

// Test runs the kit's test suites.
type Test mg.Namespace

// All runs every test of the repository — unit, property-based, the seeder
// against real PostgreSQL and Redis containers, the Terraform checks with
// OpenTofu, the local release end to end — then the static checks. Docker is
// installed and started when missing. Env: GOTEST_FLAGS adds go test flags.
func (Test) All(ctx context.Context) error {
	if err := dockerup.Ensure(ctx, logf); err != nil {
		return fmt.Errorf("test: %w", err)
	}
	testErr := gotest.Run(ctx, gotest.Options{Extra: os.Getenv("GOTEST_FLAGS")})
	// Lint even when tests failed: one run should show every problem.
	return errors.Join(testErr, lintRepo(ctx))
}

// Unit runs the fast tests only (go test -short): no Docker, no OpenTofu.
// Env: GOTEST_FLAGS adds go test flags.
func (Test) Unit(ctx context.Context) error {
	return gotest.Run(ctx, gotest.Options{Short: true, Extra: os.Getenv("GOTEST_FLAGS")})
}

// Lint runs gofmt, go vet, staticcheck and actionlint with shellcheck.
func (Test) Lint(ctx context.Context) error { return lintRepo(ctx) }

func lintRepo(ctx context.Context) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	if err := lint.Run(ctx, wd, logf); err != nil {
		return fmt.Errorf("lint: %w", err)
	}
	return nil
}

func logf(format string, args ...any) { fmt.Printf(format+"\n", args...) }

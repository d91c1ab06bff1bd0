package localenv_test

import (
	"context"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

func dockerCLI(ctx context.Context, args ...string) (string, error) {
	return sh.Options{Combined: true}.Run(ctx, "docker", args...)
}

package tfreplica

import (
	"context"
	"fmt"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfschema"
)

// Ensure extracts (or reuses) the hashicorp/aws schema with tfschema and
// installs the replica serving it; it returns the mirror to point OpenTofu
// at. Cold: schema extraction (npm pack + ~6 s) and a provider build; warm:
// one `go build` link of the provider (cached by the Go build cache).
func Ensure(ctx context.Context, logf sh.Logf) (*Mirror, error) {
	t := time.Now()
	res, err := tfschema.Ensure(ctx, logf)
	if err != nil {
		return nil, fmt.Errorf("tfreplica: provider schema: %w", err)
	}
	if d := time.Since(t); d > 2*time.Second {
		logf("tfreplica: schema of hashicorp/aws %s ready in %s", res.ProviderVersion, d.Round(100*time.Millisecond))
	}
	return ensureSchema(ctx, res.Path, res.ProviderVersion, logf)
}

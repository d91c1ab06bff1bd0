package targets

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/stores"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/cachedir"
	"github.com/equiptrack/release-kit/seeddata"
	"github.com/equiptrack/release-kit/seeddata/schema"
)

// Seed starts (or reuses) the local PostgreSQL and Redis containers, applies
// the schema, seeds the demo dataset and prints the fingerprint and how to
// connect. The admin password comes from SEED_ADMIN_PASSWORD (at least 12
// characters); when absent it is generated and printed once, on the run that
// creates the admin. A run that leaves drift fails unless -allowDrift=true.
// Env: SEED_ADMIN_PASSWORD, EQUIPTRACK_LOCAL_PG_PORT, EQUIPTRACK_LOCAL_REDIS_PORT.
func (Local) Seed(ctx context.Context, allowDrift *bool) error {
	// Validated before any container starts.
	opts, err := seeddata.OptionsFromEnv(os.Getenv)
	if err != nil {
		return fmt.Errorf("local:seed: %w", err)
	}
	if opts.AdminPassword != "" && len([]rune(opts.AdminPassword)) < seeddata.MinAdminPasswordLen {
		return fmt.Errorf("local:seed: SEED_ADMIN_PASSWORD is shorter than %d characters", seeddata.MinAdminPasswordLen)
	}
	// The first run builds the data image (about a minute); later ones reuse it.
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	t0 := time.Now()
	st, err := stores.EnsureLocalStores(ctx, logf)
	if err != nil {
		return fmt.Errorf("local:seed: %w", err)
	}
	logf("local: PostgreSQL and Redis ready (%d ms)", time.Since(t0).Milliseconds())
	t1 := time.Now()
	applied, err := schema.ApplyURL(ctx, st.PostgresURL)
	if err != nil {
		return fmt.Errorf("local:seed: %w", err)
	}
	logf("migrate: applied %v, schema at version %d (%d ms)", applied, schema.Latest(), time.Since(t1).Milliseconds())
	// The local stores serve TLS with a self-signed certificate: their URLs
	// say sslmode=require, and no CA applies.
	opts.DatabaseURL, opts.RedisURL, opts.RootCAs = st.PostgresURL, st.RedisURL, nil
	opts.GenerateAdminPassword = true
	opts.AllowDrift = allowDrift != nil && *allowDrift
	if _, err := seeddata.Run(ctx, opts, os.Stdout); err != nil {
		return fmt.Errorf("local:seed: %w", err)
	}
	logf("connect (passwords redacted; DATABASE_URL / REDIS_URL as the seed:* targets expect them):")
	logf("  psql %q", stores.Redact(st.PostgresURL))
	logf("  redis-cli -u %q", stores.Redact(st.RedisURL))
	if dir, err := cachedir.Dir("local"); err == nil {
		logf("  passwords: in %s (mode 0600)", dir)
	}
	return nil
}

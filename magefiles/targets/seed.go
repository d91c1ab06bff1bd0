package targets

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/equiptrack/release-kit/seeddata"
	"github.com/equiptrack/release-kit/seeddata/dbconfig"
	"github.com/equiptrack/release-kit/seeddata/schema"
)

// The seed:* targets run the demo-data seeder in-process against the database
// and cache the environment names. See seeddata/README.md. Connection strings
// and passwords come from the environment only, never from flags: a command
// line is readable by every local user.

func runSeed(ctx context.Context, target string, allowDrift *bool, mut func(*seeddata.Options)) error {
	opts, err := seeddata.OptionsFromEnv(os.Getenv)
	if err != nil {
		return fmt.Errorf("%s: %w", target, err)
	}
	if allowDrift != nil {
		opts.AllowDrift = *allowDrift
	}
	if mut != nil {
		mut(&opts)
	}
	if _, err := seeddata.Run(ctx, opts, os.Stdout); err != nil {
		return fmt.Errorf("%s: %w", target, err)
	}
	return nil
}

func steps(s ...string) func(*seeddata.Options) {
	return func(o *seeddata.Options) { o.Steps = s }
}

// All seeds the demo dataset (roles + admin, inventory, movements) into
// DATABASE_URL, idempotently, then invalidates the equiptrack:cache:* keys in
// REDIS_URL; prints per-table counts, the fingerprint and how the run ended.
// A run that leaves drift (seed rows users changed, conflicts with rows users
// added, broken movement chains) fails unless -allowDrift=true. Env:
// DATABASE_URL, REDIS_URL, SEED_ADMIN_PASSWORD (needed only to create the
// admin user; at least 12 characters), DB_SSLROOTCERT.
func (Seed) All(ctx context.Context, allowDrift *bool) error {
	return runSeed(ctx, "seed:all", allowDrift, nil)
}

// Roles runs the setup_default_roles step alone (permissions, 6 roles, the
// admin user). Env: DATABASE_URL, REDIS_URL, SEED_ADMIN_PASSWORD.
func (Seed) Roles(ctx context.Context, allowDrift *bool) error {
	return runSeed(ctx, "seed:roles", allowDrift, steps(seeddata.StepRoles))
}

// Inventory runs the reseed_complete_inventory step alone (locations, 7 item
// types, 70 parents, their child items). Env: DATABASE_URL, REDIS_URL.
func (Seed) Inventory(ctx context.Context, allowDrift *bool) error {
	return runSeed(ctx, "seed:inventory", allowDrift, steps(seeddata.StepInventory))
}

// Movements runs the generate_movements step alone (needs the inventory).
// Env: DATABASE_URL, REDIS_URL.
func (Seed) Movements(ctx context.Context, allowDrift *bool) error {
	return runSeed(ctx, "seed:movements", allowDrift, steps(seeddata.StepMovements))
}

// Verify checks DATABASE_URL without writing: prints missing and drifted rows
// and broken movement chains, and fails when its fingerprint differs from the
// shipped dataset's (or from -expect=<64 hex>) or when any item's movements
// do not form an unbroken chain. Env: DATABASE_URL, DB_SSLROOTCERT.
func (Seed) Verify(ctx context.Context, expect *string) error {
	return runSeed(ctx, "seed:verify", nil, func(o *seeddata.Options) {
		o.Verify = true
		if expect != nil {
			o.Expected = *expect
		}
	})
}

// Reseed restores every seed row of DATABASE_URL by natural key, user edits
// of seed rows included, and deletes the movements users recorded against the
// history it restored (listed); other rows users added are never touched. The
// argument must be the database's name, as confirmation. Env: DATABASE_URL,
// REDIS_URL, SEED_ADMIN_PASSWORD.
func (Seed) Reseed(ctx context.Context, confirmDatabase string, allowDrift *bool) error {
	return runSeed(ctx, "seed:reseed", allowDrift, func(o *seeddata.Options) {
		o.Reseed, o.Confirm = true, confirmDatabase
	})
}

// Migrate applies the embedded schema migrations to DATABASE_URL (what the
// services' migrate step does); idempotent. Fails, naming it, on a
// schema_migrations table another migration tool made. Env: DATABASE_URL,
// DB_SSLROOTCERT.
func (Seed) Migrate(ctx context.Context) error {
	opts, err := seeddata.OptionsFromEnv(os.Getenv)
	if err != nil {
		return fmt.Errorf("seed:migrate: %w", err)
	}
	if opts.DatabaseURL == "" {
		return fmt.Errorf("seed:migrate: DATABASE_URL is not set")
	}
	cfg, err := dbconfig.ConnConfig(opts.DatabaseURL, opts.RootCAs)
	if err != nil {
		return fmt.Errorf("seed:migrate: %w", err)
	}
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	applied, err := schema.ApplyConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("seed:migrate: %w", err)
	}
	logf("migrate: applied %v, schema at version %d (%d ms)", applied, schema.Latest(), time.Since(t0).Milliseconds())
	return nil
}

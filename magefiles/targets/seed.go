package targets

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/equiptrack/release-kit/seeddata"
	"github.com/equiptrack/release-kit/seeddata/schema"
)

// The seed:* targets run the demo-data seeder in-process against the database
// and cache the environment names. See seeddata/README.md.

func runSeed(ctx context.Context, target string, mut func(*seeddata.Options)) error {
	opts := seeddata.OptionsFromEnv(os.Getenv)
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
// REDIS_URL; prints per-table counts and the fingerprint. Env: DATABASE_URL,
// REDIS_URL, SEED_ADMIN_PASSWORD (needed only to create the admin user).
func (Seed) All(ctx context.Context) error {
	return runSeed(ctx, "seed:all", nil)
}

// Roles runs the setup_default_roles step alone (permissions, 6 roles, the
// admin user). Env: DATABASE_URL, REDIS_URL, SEED_ADMIN_PASSWORD.
func (Seed) Roles(ctx context.Context) error {
	return runSeed(ctx, "seed:roles", steps(seeddata.StepRoles))
}

// Inventory runs the reseed_complete_inventory step alone (locations, 7 item
// types, 70 parents, their child items). Env: DATABASE_URL, REDIS_URL.
func (Seed) Inventory(ctx context.Context) error {
	return runSeed(ctx, "seed:inventory", steps(seeddata.StepInventory))
}

// Movements runs the generate_movements step alone (needs the inventory).
// Env: DATABASE_URL, REDIS_URL.
func (Seed) Movements(ctx context.Context) error {
	return runSeed(ctx, "seed:movements", steps(seeddata.StepMovements))
}

// Verify checks DATABASE_URL without writing: prints missing and drifted rows
// and fails when its fingerprint differs from the shipped dataset's (or from
// -expect=<64 hex>). Env: DATABASE_URL.
func (Seed) Verify(ctx context.Context, expect *string) error {
	return runSeed(ctx, "seed:verify", func(o *seeddata.Options) {
		o.Verify = true
		if expect != nil {
			o.Expected = *expect
		}
	})
}

// Reseed restores every seed row of DATABASE_URL by natural key, user edits
// of seed rows included; rows users added are never touched. The argument
// must be the database's name, as confirmation. Env: DATABASE_URL, REDIS_URL,
// SEED_ADMIN_PASSWORD.
func (Seed) Reseed(ctx context.Context, confirmDatabase string) error {
	return runSeed(ctx, "seed:reseed", func(o *seeddata.Options) {
		o.Reseed, o.Confirm = true, confirmDatabase
	})
}

// Migrate applies the embedded schema migrations to DATABASE_URL (what the
// services' migrate step does); idempotent. Env: DATABASE_URL.
func (Seed) Migrate(ctx context.Context) error {
	u := os.Getenv(seeddata.EnvDatabaseURL)
	if u == "" {
		return fmt.Errorf("seed:migrate: DATABASE_URL is not set")
	}
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	applied, err := schema.ApplyURL(ctx, u)
	if err != nil {
		return fmt.Errorf("seed:migrate: %w", err)
	}
	logf("migrate: applied %v, schema at version %d (%d ms)", applied, schema.Latest(), time.Since(t0).Milliseconds())
	return nil
}

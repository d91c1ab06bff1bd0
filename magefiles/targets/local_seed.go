package targets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/stores"
	"github.com/equiptrack/release-kit/seeddata"
	"github.com/equiptrack/release-kit/seeddata/schema"
)

// Seed starts (or reuses) the local PostgreSQL and Redis containers, applies
// the schema, seeds the demo dataset and prints the fingerprint and how to
// connect. The admin user's password is the local environment's one stored
// password (generated once, mode 0600, never printed; local:status says
// where): the release pipeline's seed task uses the same file, so the two
// never leave different passwords. Env: EQUIPTRACK_LOCAL_PG_PORT,
// EQUIPTRACK_LOCAL_REDIS_PORT. SEED_ADMIN_PASSWORD is refused when it differs
// from the stored password. A run that leaves drift fails unless
// -allowDrift=true.
func (Local) Seed(ctx context.Context, allowDrift *bool) error {
	o, err := localStoresOptions()
	if err != nil {
		return fmt.Errorf("local:seed: %w", err)
	}
	pw, pwFile, err := stores.AdminPassword(o.Name)
	if err != nil {
		return fmt.Errorf("local:seed: %w", err)
	}
	if err := checkLocalAdminPassword(os.Getenv(seeddata.EnvAdminPassword), pw, pwFile); err != nil {
		return fmt.Errorf("local:seed: %w", err)
	}
	// The first run builds the data image (about a minute); later ones reuse it.
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	t0 := time.Now()
	st, err := stores.EnsureLocalStoresWith(ctx, o, logf)
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
	opts := seeddata.Options{
		DatabaseURL: st.PostgresURL, RedisURL: st.RedisURL,
		AdminPassword: pw,
		// Set it every run: a database seeded before the password was stored
		// (or by hand) then agrees with the file too.
		ResetAdminPassword: true,
		AllowDrift:         allowDrift != nil && *allowDrift,
	}
	if _, err := seeddata.Run(ctx, opts, os.Stdout); err != nil {
		return fmt.Errorf("local:seed: %w", err)
	}
	logf("connect (passwords redacted; DATABASE_URL / REDIS_URL as the seed:* targets expect them):")
	logf("  psql %q", stores.Redact(st.PostgresURL))
	logf("  redis-cli -u %q", stores.Redact(st.RedisURL))
	logf("  passwords: in %s (mode 0600); the admin user's: %s", filepath.Dir(pwFile), pwFile)
	return nil
}

// checkLocalAdminPassword refuses an admin password from the environment
// that is not the stored one: locally the file is the one policy, and a
// second password would be silently wrong for the other path.
func checkLocalAdminPassword(fromEnv, stored, file string) error {
	if fromEnv == "" || fromEnv == stored {
		return nil
	}
	return errors.New(seeddata.EnvAdminPassword + " is set and differs from the local admin password stored in " + file +
		": unset it (locally the stored password is used) or write it into that file")
}

// printAdminPasswordFile says where the local admin password is (never what).
func printAdminPasswordFile(name string) {
	dir, err := stores.StateDir(name)
	if err != nil {
		return
	}
	p := filepath.Join(dir, stores.AdminPasswordFile)
	if _, err := os.Stat(p); err == nil {
		fmt.Printf("admin password (user %s): in %s (mode 0600)\n", seeddata.AdminUsername, p)
	} else {
		fmt.Printf("admin password: not made yet (the first seed stores it in %s)\n", p)
	}
}

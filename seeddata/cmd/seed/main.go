// Command seed loads the equiptrack demo dataset into PostgreSQL, idempotently,
// and invalidates the application's Redis cache. It is the seeder image's
// entry point (a one-off ECS task) and what `mage seed:*` runs in-process.
//
//	seed [flags]
//
// Environment: DATABASE_URL, REDIS_URL, SEED_ADMIN_PASSWORD, DB_SSLROOTCERT.
// Secrets come from the environment only, never from flags: a command line is
// readable by every local user (/proc/<pid>/cmdline, ps). Run `seed -h`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/equiptrack/release-kit/seeddata"

	// The image is FROM scratch: without these fallback roots (used only when
	// the system has none) rediss:// to ElastiCache and sslmode=verify-full
	// against a publicly issued certificate could not verify anything.
	_ "golang.org/x/crypto/x509roots/fallback"
)

const usageHead = `Usage: seed [flags]

Seeds the equiptrack demo dataset (steps setup_default_roles,
reseed_complete_inventory, generate_movements), idempotently, then deletes the
Redis keys matching %s. Prints per-table counts and
"fingerprint: <64 hex>", and last, how the run ended. Exit status: 0 ok,
1 failed (including a run that left drift, without -allow-drift), 2 bad usage.

Environment (connection strings and passwords are read from here only, never
from flags: a command line is readable by every local user):
  DATABASE_URL         PostgreSQL URL, e.g. postgres://u:p@host:5432/db?sslmode=verify-full
                       (without an sslmode: require)
  DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD, DB_SSLMODE, DB_SECRET
                       used instead when DATABASE_URL is unset (as on ECS, where the
                       credentials are injected from Secrets Manager); DB_SSLMODE default require
  DB_SSLROOTCERT       "rds": verify the server against the Amazon RDS CA bundle built
                       into this binary (needs sslmode verify-full or verify-ca)
  REDIS_URL            Redis URL, e.g. redis://host:6379/0 (optional: without it no cache is invalidated)
  REDIS_HOST, REDIS_PORT  used instead when REDIS_URL is unset
  SEED_ADMIN_PASSWORD  the admin user's password (at least 12 characters); needed only when the
                       admin user is created or -reset-admin-password is given. Never printed.

Flags:
`

// removedFlags were taken out because their values are secrets: a
// password on a command line is readable by every local user.
var removedFlags = map[string]string{"database-url": "DATABASE_URL", "redis-url": "REDIS_URL"}

// parseArgs turns the command line and environment into seeder options. It
// reports bad usage as an error; -h gives flag.ErrHelp.
func parseArgs(args []string, getenv func(string) string, stderr io.Writer) (seeddata.Options, error) {
	// Checked before parsing, so the error never repeats the value.
	for _, a := range args {
		if a == "--" {
			break
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if env, ok := removedFlags[name]; ok && strings.HasPrefix(a, "-") {
			return seeddata.Options{}, fmt.Errorf("-%s is not a flag any more: a URL holding a password on a command line is readable by every local user; set %s in the environment", name, env)
		}
	}
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	// Errors are reported by the caller in one line; the usage text only on -h.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	o, envErr := seeddata.OptionsFromEnv(getenv)
	var steps string
	fs.StringVar(&steps, "steps", "all", "comma-separated steps to run in order: "+strings.Join(seeddata.AllSteps, ",")+" (or roles,inventory,movements)")
	fs.BoolVar(&o.Verify, "verify", false, "only check: print the state, exit 1 when the fingerprint differs from the expected one or a movement chain is broken")
	fs.StringVar(&o.Expected, "expect", "", "expected fingerprint for -verify (default: the shipped dataset's)")
	fs.BoolVar(&o.Reseed, "reseed", false, "restore every seed row by natural key, user edits included (needs -confirm)")
	fs.StringVar(&o.Confirm, "confirm", "", "the database's name, to confirm -reseed")
	fs.BoolVar(&o.AllowDrift, "allow-drift", false, "exit 0 even when the run leaves drift, conflicts or broken movement chains")
	fs.BoolVar(&o.GenerateAdminPassword, "generate-admin-password", false, "local use: without SEED_ADMIN_PASSWORD, generate the admin password and print it once")
	fs.BoolVar(&o.ResetAdminPassword, "reset-admin-password", false, "set the seed admin user's password again")
	fs.DurationVar(&o.LockTimeout, "lock-timeout", 0, "how long to wait for another seeder (default 60s)")
	fs.DurationVar(&o.ConnectTimeout, "connect-timeout", 0, "how long to try connecting (default 10s)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, usageHead, seeddata.CacheKeyPattern)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return o, err
		}
		return o, fmt.Errorf("%v (see -h)", err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	if envErr != nil {
		return o, envErr
	}
	var err error
	if o.Steps, err = seeddata.ParseSteps(steps); err != nil {
		return o, err
	}
	if o.Expected != "" && !seeddata.IsFingerprint(o.Expected) {
		return o, fmt.Errorf("-expect must be 64 hex digits, got %q", o.Expected)
	}
	if o.DatabaseURL == "" {
		return o, errors.New("DATABASE_URL is not set (nor DB_HOST)")
	}
	return o, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "seed: %v\n", err)
		return 2
	}
	if _, err := seeddata.Run(ctx, opts, stdout); err != nil {
		fmt.Fprintf(stderr, "seed: %v\n", err)
		if errors.Is(err, seeddata.ErrBadOptions) || errors.Is(err, seeddata.ErrReseedNotConfirmed) {
			return 2
		}
		return 1
	}
	return 0
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

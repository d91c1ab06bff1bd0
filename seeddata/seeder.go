package seeddata

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/equiptrack/release-kit/seeddata/schema"
)

//go:embed FINGERPRINT
var committedFingerprint string

// ExpectedFingerprint is the committed fingerprint of the shipped dataset
// (seeddata/FINGERPRINT). Changing the data means changing that file.
func ExpectedFingerprint() string { return strings.TrimSpace(committedFingerprint) }

// seedLockKey is the PostgreSQL advisory-lock key seeders serialise on.
const seedLockKey int64 = 0x65717569_70000002

// Errors callers can test for with errors.Is.
var (
	ErrBadOptions          = errors.New("bad seeder options")
	ErrUnreachable         = errors.New("database unreachable")
	ErrNotMigrated         = schema.ErrNotMigrated
	ErrPrerequisite        = errors.New("prerequisite step missing")
	ErrReseedNotConfirmed  = errors.New("reseed not confirmed")
	ErrFingerprintMismatch = errors.New("fingerprint mismatch")
	ErrAdminPassword       = errors.New("admin password needed")
	ErrLocked              = errors.New("another seeder holds the lock")
)

// Options configure one seeder run.
type Options struct {
	DatabaseURL string // required; any sslmode pgx understands
	RedisURL    string // optional; without it no cache is invalidated (said so)
	// Steps to run, in this order; nil means AllSteps. Short names roles,
	// inventory and movements are accepted too.
	Steps []string
	// AdminPassword (SEED_ADMIN_PASSWORD) is needed only when the admin user
	// is created or ResetAdminPassword is set. Never printed.
	AdminPassword string
	// GenerateAdminPassword (local use): when AdminPassword is empty and one is
	// needed, generate one and print it once.
	GenerateAdminPassword bool
	// ResetAdminPassword sets the existing admin's password again.
	ResetAdminPassword bool
	// Reseed restores every seed row by natural key, user edits included; it
	// needs Confirm equal to the database's name.
	Reseed  bool
	Confirm string
	// Verify only reads: it prints the state and fails with
	// ErrFingerprintMismatch when the database's fingerprint differs from
	// Expected (default ExpectedFingerprint()).
	Verify   bool
	Expected string
	// LockTimeout bounds the wait for another seeder (default 60 s);
	// ConnectTimeout bounds connecting (default 10 s).
	LockTimeout    time.Duration
	ConnectTimeout time.Duration
}

// TableCounts is what a run did (or, in verify mode, would do) to one table.
type TableCounts struct {
	Table, Step                        string
	Created, Updated, Unchanged, Drift int
	Disowned                           int      // reseed: seed rows no longer in the dataset, handed to users
	DriftKeys                          []string // "key: why", in dataset order
}

// Report is the outcome of a run.
type Report struct {
	Database    string
	Steps       []string
	Tables      []TableCounts
	Fingerprint string
	Expected    string
	Duration    time.Duration
	// AdminPassword says what happened to the admin password: "created",
	// "generated", "reset", "kept" or "" (roles step not run).
	AdminPassword    string
	CacheKeysDeleted int
	Verified         bool
}

// Totals sums the counts of every table.
func (r Report) Totals() TableCounts {
	var t TableCounts
	for _, c := range r.Tables {
		t.Created += c.Created
		t.Updated += c.Updated
		t.Unchanged += c.Unchanged
		t.Drift += c.Drift
		t.Disowned += c.Disowned
	}
	return t
}

// Table returns the counts of one table (zero when not run).
func (r Report) Table(name string) TableCounts {
	for _, c := range r.Tables {
		if c.Table == name {
			return c
		}
	}
	return TableCounts{Table: name}
}

var stepAliases = map[string]string{
	"roles": StepRoles, "inventory": StepInventory, "movements": StepMovements,
	StepRoles: StepRoles, StepInventory: StepInventory, StepMovements: StepMovements,
}

// ParseSteps turns a comma-separated list of step names (or short names
// roles, inventory, movements; "all" or "" for every step) into step names.
func ParseSteps(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "all" {
		return slices.Clone(AllSteps), nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		name, ok := stepAliases[strings.TrimSpace(p)]
		if !ok {
			return nil, fmt.Errorf("%w: unknown step %q (want %s, or roles, inventory, movements)", ErrBadOptions, strings.TrimSpace(p), strings.Join(AllSteps, ", "))
		}
		out = append(out, name)
	}
	return out, nil
}

func (o *Options) normalise() error {
	if strings.TrimSpace(o.DatabaseURL) == "" {
		return fmt.Errorf("%w: DATABASE_URL is not set", ErrBadOptions)
	}
	if o.Steps == nil {
		o.Steps = AllSteps
	}
	o.Steps = slices.Clone(o.Steps) // never rewrite the caller's slice
	if len(o.Steps) == 0 {
		return fmt.Errorf("%w: no steps to run", ErrBadOptions)
	}
	for i, s := range o.Steps {
		name, ok := stepAliases[s]
		if !ok {
			return fmt.Errorf("%w: unknown step %q (want %s)", ErrBadOptions, s, strings.Join(AllSteps, ", "))
		}
		o.Steps[i] = name
	}
	switch {
	case o.Verify && (o.Reseed || o.ResetAdminPassword):
		return fmt.Errorf("%w: verify only reads; it cannot be combined with reseed or reset-admin-password", ErrBadOptions)
	case o.Confirm != "" && !o.Reseed:
		return fmt.Errorf("%w: -confirm is only meaningful with -reseed", ErrBadOptions)
	case o.Reseed && o.Confirm == "":
		return fmt.Errorf("%w: reseed overwrites edited seed rows; confirm with -confirm=<database name>", ErrReseedNotConfirmed)
	}
	if o.Expected == "" {
		o.Expected = ExpectedFingerprint()
	}
	if !IsFingerprint(o.Expected) {
		return fmt.Errorf("%w: expected fingerprint must be 64 lower-case hex digits, got %q", ErrBadOptions, o.Expected)
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 60 * time.Second
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	return nil
}

// Run seeds (or, with Verify, checks) the database and prints per-table
// counts, the duration and `fingerprint: <hex>` to out. Everything a run
// writes happens in one transaction under an advisory lock: it applies whole
// or not at all, and concurrent seeders run one after the other.
func Run(ctx context.Context, opts Options, out io.Writer) (Report, error) {
	start := time.Now()
	rep := Report{}
	if err := opts.normalise(); err != nil {
		return rep, err
	}
	rep.Steps, rep.Expected = opts.Steps, opts.Expected
	ds, err := Load()
	if err != nil {
		return rep, err
	}
	conn, err := connect(ctx, opts)
	if err != nil {
		return rep, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := schema.Check(ctx, conn); err != nil {
		return rep, fmt.Errorf("database %q: %w", conn.Config().Database, err)
	}
	if err := conn.QueryRow(ctx, `SELECT current_database()`).Scan(&rep.Database); err != nil {
		return rep, fmt.Errorf("read database name: %w", err)
	}
	if opts.Reseed && opts.Confirm != rep.Database {
		return rep, fmt.Errorf("%w: confirmation %q does not match the database name %q", ErrReseedNotConfirmed, opts.Confirm, rep.Database)
	}
	mode := "seed"
	switch {
	case opts.Verify:
		mode = "verify"
	case opts.Reseed:
		mode = "RESEED (confirmed)"
	}
	fmt.Fprintf(out, "seed: %s of database %q, steps %s\n", mode, rep.Database, strings.Join(opts.Steps, ", "))

	s := &session{conn: conn, ds: ds, recs: ds.Records(), opts: opts, out: out, rep: &rep, loaded: map[string]*tableState{}}
	if opts.Verify {
		err = s.verify(ctx)
	} else {
		err = s.seed(ctx)
	}
	if err != nil {
		return rep, err
	}
	if !opts.Verify {
		if opts.RedisURL == "" {
			fmt.Fprintf(out, "cache: REDIS_URL not set; keys matching %s not invalidated\n", CacheKeyPattern)
		} else {
			n, err := InvalidateCache(ctx, opts.RedisURL)
			if err != nil {
				return rep, fmt.Errorf("data committed, but cache not invalidated: %w", err)
			}
			rep.CacheKeysDeleted = n
			fmt.Fprintf(out, "cache: deleted %d keys matching %s\n", n, CacheKeyPattern)
		}
	}
	rep.Duration = time.Since(start)
	t := rep.Totals()
	kind := "changes applied"
	switch {
	case t.Created == 0 && t.Updated == 0 && t.Disowned == 0:
		kind = "no-op re-run"
	case t.Unchanged == 0 && t.Drift == 0 && len(opts.Steps) == len(AllSteps):
		kind = "full seed of an empty database"
	}
	if opts.Verify {
		fmt.Fprintf(out, "verify: done in %d ms: missing %d, would update %d, unchanged %d, drift %d\n",
			rep.Duration.Milliseconds(), t.Created, t.Updated, t.Unchanged, t.Drift)
	} else {
		fmt.Fprintf(out, "seed: done in %d ms (%s): created %d, updated %d, unchanged %d, drift %d\n",
			rep.Duration.Milliseconds(), kind, t.Created, t.Updated, t.Unchanged, t.Drift)
	}
	fmt.Fprintf(out, "fingerprint: %s\n", rep.Fingerprint)
	if opts.Verify {
		if rep.Fingerprint != opts.Expected {
			return rep, fmt.Errorf("%w: database %q has %s, expected %s", ErrFingerprintMismatch, rep.Database, rep.Fingerprint, opts.Expected)
		}
		rep.Verified = true
		fmt.Fprintln(out, "verify: fingerprint matches the expected value")
	}
	return rep, nil
}

// connect opens one connection, turning the many ways a database can be
// unreachable into one line naming host and port (never the password).
func connect(ctx context.Context, opts Options) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(opts.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("%w: DATABASE_URL is not a valid PostgreSQL URL", ErrBadOptions)
	}
	cctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		where := net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			// The server answered: a login or database problem, not reachability.
			return nil, fmt.Errorf("connect to %s database %q: %s (SQLSTATE %s)", where, cfg.Database, pgErr.Message, pgErr.Code)
		}
		return nil, fmt.Errorf("%w: cannot connect to %s: %s", ErrUnreachable, where, rootCause(err, opts.ConnectTimeout))
	}
	return conn, nil
}

// rootCause names the real problem of a failed connection (connection
// refused, no such host, timeout, TLS) in a few words, without pgx's chain of
// prefixes or its one line per attempt (sslmode=prefer tries twice).
func rootCause(err error, timeout time.Duration) string {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no answer within %s", timeout)
	case errors.As(err, &dnsErr):
		return dnsErr.Error()
	case errors.As(err, &opErr) && opErr.Err != nil:
		return opErr.Op + ": " + opErr.Err.Error()
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) > 1 {
		lines = lines[1:] // drop pgx's "failed to connect to …:" header
	}
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}

// Environment variables the seeder reads (cmd/seed, the seed:* targets).
const (
	EnvDatabaseURL   = "DATABASE_URL"
	EnvRedisURL      = "REDIS_URL"
	EnvAdminPassword = "SEED_ADMIN_PASSWORD"
)

// OptionsFromEnv returns Options with DatabaseURL, RedisURL and AdminPassword
// from the environment (getenv is os.Getenv outside tests).
func OptionsFromEnv(getenv func(string) string) Options {
	return Options{
		DatabaseURL:   getenv(EnvDatabaseURL),
		RedisURL:      getenv(EnvRedisURL),
		AdminPassword: getenv(EnvAdminPassword),
	}
}

// IsFingerprint reports whether s has a fingerprint's form: 64 lower-case hex
// digits.
func IsFingerprint(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

package seeddata

import (
	"context"
	"crypto/x509"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"

	"github.com/equiptrack/release-kit/seeddata/dbconfig"

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
	ErrUnreachable         = errors.New("unreachable")
	ErrNotMigrated         = schema.ErrNotMigrated
	ErrForeignMigrations   = schema.ErrForeignMigrations
	ErrPrerequisite        = errors.New("prerequisite step missing")
	ErrReseedNotConfirmed  = errors.New("reseed not confirmed")
	ErrFingerprintMismatch = errors.New("fingerprint mismatch")
	ErrBrokenChain         = errors.New("movement chain broken")
	ErrDrift               = errors.New("drift left")
	ErrConflict            = errors.New("conflict with rows users added")
	ErrAdminPassword       = errors.New("admin password needed")
	ErrLocked              = errors.New("another seeder holds the lock")
)

// Options configure one seeder run. Run validates all of them before it
// touches the database or the cache.
type Options struct {
	// DatabaseURL is required. Without an sslmode, sslmode=require is used
	// (dbconfig.DefaultSSLMode).
	DatabaseURL string
	// RootCAs, when set, is what the database's certificate is verified
	// against (e.g. dbconfig.RDSRootCAs()); it needs sslmode=verify-full or
	// verify-ca in DatabaseURL.
	RootCAs  *x509.CertPool
	RedisURL string // optional; without it no cache is invalidated (said so)
	// Steps to run, in this order; nil means AllSteps. Short names roles,
	// inventory and movements are accepted too.
	Steps []string
	// AdminPassword (SEED_ADMIN_PASSWORD, at least MinAdminPasswordLen
	// characters) is needed only when the admin user is created or
	// ResetAdminPassword is set. Never printed.
	AdminPassword string
	// GenerateAdminPassword (local use): when AdminPassword is empty and one is
	// needed, generate one and print it once, after the run committed.
	GenerateAdminPassword bool
	// ResetAdminPassword sets the seed admin's password again.
	ResetAdminPassword bool
	// Reseed restores every seed row by natural key, user edits included; it
	// needs Confirm equal to the database's name.
	Reseed  bool
	Confirm string
	// AllowDrift makes a run that leaves drift, conflicts or broken movement
	// chains succeed; without it such a run commits what it could and then
	// fails with ErrDrift.
	AllowDrift bool
	// Verify only reads: it prints the state and fails with
	// ErrFingerprintMismatch when the database's fingerprint differs from
	// Expected (default ExpectedFingerprint()), and with ErrBrokenChain when
	// an item's movements do not form an unbroken chain.
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
	Conflicts                          int      // dataset rows a row users added stands in the way of
	Disowned                           int      // reseed: seed rows no longer in the dataset, handed to users
	DriftKeys                          []string // "key: why", in dataset order
	ConflictKeys                       []string // "key: why", in dataset order
}

// Report is the outcome of a run.
type Report struct {
	Database      string
	Steps         []string
	StepDurations []time.Duration
	Tables        []TableCounts
	// BrokenChains lists the items whose movements do not form an unbroken
	// chain after the run (every item, rows users added included).
	BrokenChains []ChainBreak
	// RemovedMovements lists the movements a confirmed reseed deleted
	// because they contradicted the restored history ("tag time from → to").
	RemovedMovements []string
	Fingerprint      string
	Expected         string
	Duration         time.Duration
	LockWait         time.Duration
	// Committed says the run's writes were committed (false: rolled back,
	// nothing written, whatever the counts say).
	Committed bool
	// AdminPassword says what happened to the admin password: "created",
	// "generated", "reset", "kept", "untouched (not the seeder's user)" or
	// "" (roles step not run).
	AdminPassword    string
	CacheKeysDeleted int
	Verified         bool

	generatedPassword string // printed once, after commit
}

// Totals sums the counts of every table.
func (r Report) Totals() TableCounts {
	var t TableCounts
	for _, c := range r.Tables {
		t.Created += c.Created
		t.Updated += c.Updated
		t.Unchanged += c.Unchanged
		t.Drift += c.Drift
		t.Conflicts += c.Conflicts
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

// validated is what normalise parsed: the run uses these, never the strings
// again, so nothing can fail to parse after the database was written.
type validated struct {
	pg    *pgx.ConnConfig
	redis *redis.Options // nil without RedisURL
}

func (o *Options) normalise() (validated, error) {
	var v validated
	if strings.TrimSpace(o.DatabaseURL) == "" {
		return v, fmt.Errorf("%w: DATABASE_URL is not set", ErrBadOptions)
	}
	pg, err := dbconfig.ConnConfig(o.DatabaseURL, o.RootCAs)
	if err != nil {
		return v, fmt.Errorf("%w: %w", ErrBadOptions, err)
	}
	v.pg = pg
	if o.RedisURL != "" {
		if v.redis, err = redis.ParseURL(o.RedisURL); err != nil {
			// Never echo the value: it may carry a password.
			return v, fmt.Errorf("%w: REDIS_URL is not a valid redis:// or rediss:// URL", ErrBadOptions)
		}
	}
	if o.AdminPassword != "" && utf8.RuneCountInString(o.AdminPassword) < MinAdminPasswordLen {
		return v, fmt.Errorf("%w: SEED_ADMIN_PASSWORD is shorter than %d characters", ErrBadOptions, MinAdminPasswordLen)
	}
	if o.Steps == nil {
		o.Steps = AllSteps
	}
	o.Steps = slices.Clone(o.Steps) // never rewrite the caller's slice
	if len(o.Steps) == 0 {
		return v, fmt.Errorf("%w: no steps to run", ErrBadOptions)
	}
	for i, s := range o.Steps {
		name, ok := stepAliases[s]
		if !ok {
			return v, fmt.Errorf("%w: unknown step %q (want %s)", ErrBadOptions, s, strings.Join(AllSteps, ", "))
		}
		o.Steps[i] = name
	}
	switch {
	case o.Verify && (o.Reseed || o.ResetAdminPassword):
		return v, fmt.Errorf("%w: verify only reads; it cannot be combined with reseed or reset-admin-password", ErrBadOptions)
	case o.Verify && o.AllowDrift:
		return v, fmt.Errorf("%w: verify reports drift, it has none to allow; -allow-drift is for seed runs", ErrBadOptions)
	case o.Confirm != "" && !o.Reseed:
		return v, fmt.Errorf("%w: -confirm is only meaningful with -reseed", ErrBadOptions)
	case o.Reseed && o.Confirm == "":
		return v, fmt.Errorf("%w: reseed overwrites edited seed rows; confirm with -confirm=<database name>", ErrReseedNotConfirmed)
	}
	if o.Expected == "" {
		o.Expected = ExpectedFingerprint()
	}
	if !IsFingerprint(o.Expected) {
		return v, fmt.Errorf("%w: expected fingerprint must be 64 lower-case hex digits, got %q", ErrBadOptions, o.Expected)
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 60 * time.Second
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	return v, nil
}

// Run seeds (or, with Verify, checks) the database and prints per-table
// counts, `fingerprint: <hex>` and, last, one line saying how the run ended.
// Every option is validated first, and the cache is reached, before the
// database is touched. Everything a run writes happens in one transaction
// under an advisory lock: it applies whole or not at all, and concurrent
// seeders run one after the other.
func Run(ctx context.Context, opts Options, out io.Writer) (Report, error) {
	start := time.Now()
	rep := Report{}
	v, err := opts.normalise()
	if err != nil {
		return rep, err
	}
	rep.Steps, rep.Expected = opts.Steps, opts.Expected
	ds, err := Load()
	if err != nil {
		return rep, err
	}
	if !opts.Verify && v.redis != nil {
		// A cache that cannot be reached fails the run before anything is
		// written, rather than after the data was committed.
		if err := pingRedis(ctx, v.redis); err != nil {
			return rep, err
		}
	}
	conn, err := connect(ctx, v.pg, opts.ConnectTimeout)
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

	s := &session{conn: conn, ds: ds, recs: ds.Records(), opts: opts, rep: &rep}
	if opts.Verify {
		return rep, finishVerify(ctx, s, out, start)
	}
	return rep, finishSeed(ctx, s, out, start, v.redis)
}

func finishVerify(ctx context.Context, s *session, out io.Writer, start time.Time) error {
	rep := s.rep
	if err := s.verify(ctx); err != nil {
		return err
	}
	printTables(out, rep, "verify")
	printChains(out, rep)
	rep.Duration = time.Since(start)
	t := rep.Totals()
	fmt.Fprintf(out, "verify: done in %d ms: missing %d, would update %d, unchanged %d, drift %d, conflicts %d, broken chains %d\n",
		rep.Duration.Milliseconds(), t.Created, t.Updated, t.Unchanged, t.Drift, t.Conflicts, len(rep.BrokenChains))
	fmt.Fprintf(out, "fingerprint: %s\n", rep.Fingerprint)
	var errs []error
	if rep.Fingerprint != rep.Expected {
		errs = append(errs, fmt.Errorf("%w: database %q has %s, expected %s", ErrFingerprintMismatch, rep.Database, rep.Fingerprint, rep.Expected))
	}
	if n := len(rep.BrokenChains); n > 0 {
		errs = append(errs, fmt.Errorf("%w: %d item(s), first %s", ErrBrokenChain, n, rep.BrokenChains[0]))
	}
	if len(errs) > 0 {
		fmt.Fprintln(out, "verify: FAILED: "+strings.ReplaceAll(errors.Join(errs...).Error(), "\n", "; "))
		return errors.Join(errs...)
	}
	rep.Verified = true
	fmt.Fprintln(out, "verify: OK: the fingerprint matches the expected value and every movement chain is unbroken")
	return nil
}

func finishSeed(ctx context.Context, s *session, out io.Writer, start time.Time, ropts *redis.Options) error {
	rep := s.rep
	if err := s.seed(ctx); err != nil {
		// Nothing was written: say so for every table already planned, so no
		// "created N" stands for work that was rolled back.
		for _, c := range rep.Tables {
			if c.Created+c.Updated+c.Disowned > 0 {
				fmt.Fprintf(out, "  %-22s rolled back (would have created %d, updated %d)\n", c.Table, c.Created, c.Updated)
			}
		}
		fmt.Fprintf(out, "seed: failed after %d ms and rolled back: nothing was written\n", time.Since(start).Milliseconds())
		return err
	}
	if rep.LockWait > 100*time.Millisecond {
		fmt.Fprintf(out, "seed: waited %d ms for another seeder to finish\n", rep.LockWait.Milliseconds())
	}
	printTables(out, rep, "seed")
	for i, step := range rep.Steps {
		if i < len(rep.StepDurations) {
			fmt.Fprintf(out, "step %s: %d ms\n", step, rep.StepDurations[i].Milliseconds())
		}
	}
	if rep.AdminPassword != "" {
		fmt.Fprintf(out, "  admin password: %s\n", rep.AdminPassword)
	}
	if rep.generatedPassword != "" {
		// The one and only time a password is printed: generated locally,
		// for the developer to log in with, and committed.
		fmt.Fprintf(out, "admin password (generated, shown once, store it now): %s\n", rep.generatedPassword)
		rep.generatedPassword = ""
	}
	for _, m := range rep.RemovedMovements {
		fmt.Fprintf(out, "reseed: removed movement %s: recorded against the history the reseed restored\n", m)
	}
	printChains(out, rep)
	if ropts == nil {
		fmt.Fprintf(out, "cache: REDIS_URL not set; keys matching %s not invalidated\n", CacheKeyPattern)
	} else {
		n, err := invalidate(ctx, ropts)
		if err != nil {
			fmt.Fprintln(out, "seed: data committed, but the cache was not invalidated")
			return fmt.Errorf("data committed, but cache not invalidated: %w", err)
		}
		rep.CacheKeysDeleted = n
		fmt.Fprintf(out, "cache: deleted %d keys matching %s\n", n, CacheKeyPattern)
	}
	rep.Duration = time.Since(start)
	t := rep.Totals()
	fmt.Fprintf(out, "fingerprint: %s\n", rep.Fingerprint)
	left := t.Drift + t.Conflicts + len(rep.BrokenChains)
	kind := "changes applied"
	switch {
	case left > 0 && s.opts.AllowDrift:
		kind = "DRIFT LEFT, accepted by -allowDrift"
	case left > 0:
		kind = "DRIFT LEFT: the database differs from the dataset"
	case t.Created == 0 && t.Updated == 0 && t.Disowned == 0 && len(rep.RemovedMovements) == 0:
		kind = "no-op re-run"
	case t.Unchanged == 0 && len(rep.Steps) == len(AllSteps):
		kind = "full seed of an empty database"
	}
	fmt.Fprintf(out, "seed: done in %d ms (%s): created %d, updated %d, unchanged %d, drift %d, conflicts %d, broken chains %d\n",
		rep.Duration.Milliseconds(), kind, t.Created, t.Updated, t.Unchanged, t.Drift, t.Conflicts, len(rep.BrokenChains))
	if left > 0 && !s.opts.AllowDrift {
		return fmt.Errorf("%w: committed, but %d drifted rows, %d conflicts and %d broken movement chains remain (listed above); a confirmed reseed restores seed rows, -allowDrift=true accepts them",
			ErrDrift, t.Drift, t.Conflicts, len(rep.BrokenChains))
	}
	return nil
}

func printTables(out io.Writer, rep *Report, mode string) {
	for _, c := range rep.Tables {
		if mode == "verify" {
			fmt.Fprintf(out, "  %-22s missing %4d  would update %4d  unchanged %4d  drift %4d  conflicts %4d\n", c.Table, c.Created, c.Updated, c.Unchanged, c.Drift, c.Conflicts)
		} else {
			line := fmt.Sprintf("  %-22s created %4d  updated %4d  unchanged %4d  drift %4d  conflicts %4d", c.Table, c.Created, c.Updated, c.Unchanged, c.Drift, c.Conflicts)
			if c.Disowned > 0 {
				line += fmt.Sprintf("  disowned %d", c.Disowned)
			}
			fmt.Fprintln(out, line)
		}
		printKeys(out, "drift", c.Table, c.DriftKeys)
		printKeys(out, "conflict", c.Table, c.ConflictKeys)
	}
}

func printKeys(out io.Writer, what, table string, keys []string) {
	const show = 5
	for i, k := range keys {
		if i == show {
			fmt.Fprintf(out, "    … and %d more %s rows in %s\n", len(keys)-show, what, table)
			break
		}
		fmt.Fprintf(out, "    %s %s %s\n", what, table, k)
	}
}

func printChains(out io.Writer, rep *Report) {
	const show = 5
	for i, c := range rep.BrokenChains {
		if i == show {
			fmt.Fprintf(out, "    … and %d more items with a broken movement chain\n", len(rep.BrokenChains)-show)
			break
		}
		fmt.Fprintf(out, "    chain broken %s\n", c)
	}
}

// connect opens one connection, turning the many ways a database can be
// unreachable into one line naming host and port (never the password).
func connect(ctx context.Context, cfg *pgx.ConnConfig, timeout time.Duration) (*pgx.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		where := net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			// The server answered: a login or database problem, not reachability.
			return nil, fmt.Errorf("connect to %s database %q: %s (SQLSTATE %s)", where, cfg.Database, pgErr.Message, pgErr.Code)
		}
		return nil, fmt.Errorf("database %w: cannot connect to %s: %s", ErrUnreachable, where, rootCause(err, timeout))
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

// Environment variables OptionsFromEnv reads besides those above: the ECS
// task's parts of the database URL (see package dbconfig) and the CA choice.
const (
	EnvDBHost     = "DB_HOST"
	EnvDBSecret   = "DB_SECRET"
	EnvRedisHost  = "REDIS_HOST"
	EnvDBRootCert = "DB_SSLROOTCERT"
)

// OptionsFromEnv returns Options with DatabaseURL, RedisURL, AdminPassword
// and RootCAs from the environment (getenv is os.Getenv outside tests):
// DATABASE_URL, or on ECS the URL assembled from DB_HOST, DB_PORT, DB_NAME,
// DB_USER, DB_PASSWORD, DB_SSLMODE or DB_SECRET; REDIS_URL, or REDIS_HOST and
// REDIS_PORT; SEED_ADMIN_PASSWORD; DB_SSLROOTCERT=rds for the RDS CA bundle.
// Secrets come only from the environment, never from a command line, where
// every local user could read them in /proc/<pid>/cmdline.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	o := Options{
		DatabaseURL:   getenv(EnvDatabaseURL),
		RedisURL:      getenv(EnvRedisURL),
		AdminPassword: getenv(EnvAdminPassword),
	}
	var err error
	// On ECS the task gets DB_* and REDIS_* variables with the credentials
	// injected from Secrets Manager, never a ready-made URL.
	if o.DatabaseURL == "" && (getenv(EnvDBHost) != "" || getenv(EnvDBSecret) != "") {
		if o.DatabaseURL, err = dbconfig.DatabaseURL(getenv); err != nil {
			return o, fmt.Errorf("%w: %w", ErrBadOptions, err)
		}
	}
	if o.RedisURL == "" && getenv(EnvRedisHost) != "" {
		if o.RedisURL, err = dbconfig.RedisURL(getenv); err != nil {
			return o, fmt.Errorf("%w: %w", ErrBadOptions, err)
		}
	}
	if o.RootCAs, err = dbconfig.RootCAs(getenv); err != nil {
		return o, fmt.Errorf("%w: %w", ErrBadOptions, err)
	}
	return o, nil
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

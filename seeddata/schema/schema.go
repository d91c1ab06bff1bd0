// Package schema holds the equiptrack database schema as versioned SQL
// migrations embedded in the binary — the one place the schema is defined. The
// seeder's tests apply it and the example services run Apply as their migrate
// step.
//
// Migrations are files migrations/NNNN_name.sql, applied in version order, each
// recorded in schema_migrations. Apply is idempotent and safe when several
// processes migrate at once: it runs in one transaction holding a PostgreSQL
// advisory lock, so a second migrator waits and then finds nothing to do.
package schema

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/equiptrack/release-kit/seeddata/dbconfig"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// lockKey is the advisory-lock key migrators serialise on (any fixed int64;
// distinct from the seeder's).
const lockKey int64 = 0x65717569_70000001

// Table names, stable once released; other packages refer to them by these.
const (
	MigrationsTable = "schema_migrations"
)

// Migration is one embedded migration.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// ErrNotMigrated means the database lacks the schema or is behind it.
var ErrNotMigrated = errors.New("schema missing or out of date: run migrations first")

// ErrForeignMigrations means a schema_migrations table exists that another
// migration tool made (golang-migrate, for one, has version and dirty):
// its version numbers say nothing about equiptrack's migrations, so reading
// them as ours would skip migrations and report success over a database
// without the schema.
var ErrForeignMigrations = errors.New("schema_migrations belongs to another migration tool")

// ourColumns is schema_migrations as Migrate creates it.
const ourColumns = "version integer, name text, applied_at timestamp with time zone"

// checkOwnTable returns ErrForeignMigrations when the schema_migrations table
// the search path resolves to has other columns than ours; nil when it is
// ours or absent.
func checkOwnTable(ctx context.Context, tx pgx.Tx) error {
	var cols, where *string
	err := tx.QueryRow(ctx, `SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum),
		min(n.nspname || '.' || c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
		WHERE c.oid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`, MigrationsTable).Scan(&cols, &where)
	if err != nil {
		return fmt.Errorf("inspect %s: %w", MigrationsTable, err)
	}
	if cols == nil || *cols == ourColumns {
		return nil
	}
	return fmt.Errorf("%w: table %s has columns (%s), equiptrack's has (%s); migrate into another database or schema, or rename that table",
		ErrForeignMigrations, *where, *cols, ourColumns)
}

// Beginner is what Apply and Check need: *pgx.Conn, *pgxpool.Pool and pgx.Tx
// all satisfy it.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Migrations returns the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("schema: read embedded migrations: %w", err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("schema: migration file %q is not named NNNN_name.sql", name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("schema: migrations %q and %q share version %d", prev, name, v)
		}
		seen[v] = name
		b, err := migrationFiles.ReadFile(path.Join("migrations", name))
		if err != nil {
			return nil, fmt.Errorf("schema: read %s: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: rest, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Latest is the highest embedded migration version.
func Latest() int {
	ms, err := Migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// Apply brings the database up to the latest embedded migration. It is the
// services' migrate step. See Migrate for the versions it applied.
func Apply(ctx context.Context, db Beginner) error {
	_, err := Migrate(ctx, db)
	return err
}

// Migrate brings the database up to the latest embedded migration and returns
// the versions it applied (none when already current). All pending migrations
// run in one transaction: either all apply or none.
func Migrate(ctx context.Context, db Beginner) ([]int, error) {
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	// Serialise concurrent migrators; the lock is released at commit/rollback.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey); err != nil {
		return nil, fmt.Errorf("migrate: advisory lock: %w", err)
	}
	if err := checkOwnTable(ctx, tx); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+MigrationsTable+` (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("migrate: create %s: %w", MigrationsTable, err)
	}
	applied, err := appliedVersions(ctx, tx)
	if err != nil {
		return nil, err
	}
	var done []int
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return nil, fmt.Errorf("migrate %04d_%s: %w", m.Version, m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+MigrationsTable+` (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return nil, fmt.Errorf("migrate %04d_%s: record: %w", m.Version, m.Name, err)
		}
		done = append(done, m.Version)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("migrate: commit: %w", err)
	}
	return done, nil
}

// ApplyURL connects to databaseURL (sslmode=require unless it names one),
// applies the migrations and disconnects, returning the versions it applied.
func ApplyURL(ctx context.Context, databaseURL string) ([]int, error) {
	cfg, err := dbconfig.ConnConfig(databaseURL, nil)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return ApplyConfig(ctx, cfg)
}

// ApplyConfig is ApplyURL for a parsed configuration (e.g. from
// dbconfig.ConnConfig with the RDS CA bundle).
func ApplyConfig(ctx context.Context, cfg *pgx.ConnConfig) ([]int, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("migrate: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return Migrate(ctx, conn)
}

// Check returns nil when every embedded migration has been applied, and an
// error wrapping ErrNotMigrated when the schema is missing or behind.
func Check(ctx context.Context, db Beginner) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("schema check: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	if err := checkOwnTable(ctx, tx); err != nil {
		return err
	}
	applied, err := appliedVersions(ctx, tx)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
			return fmt.Errorf("no %s table: %w", MigrationsTable, ErrNotMigrated)
		}
		return err
	}
	ms, err := Migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if !applied[m.Version] {
			return fmt.Errorf("migration %04d_%s not applied: %w", m.Version, m.Name, ErrNotMigrated)
		}
	}
	return nil
}

func appliedVersions(ctx context.Context, tx pgx.Tx) (map[int]bool, error) {
	rows, err := tx.Query(ctx, `SELECT version FROM `+MigrationsTable)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
	}
	m := make(map[int]bool, len(vs))
	for _, v := range vs {
		m[int(v)] = true
	}
	return m, nil
}

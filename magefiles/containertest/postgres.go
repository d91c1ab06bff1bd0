package containertest

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/baseimage"
	"github.com/equiptrack/release-kit/magefiles/internal/docker/stores"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// PostgresUser is the superuser of every kit PostgreSQL.
const PostgresUser = stores.PostgresUser

// PostgresReadyLine is what PostgreSQL logs once it accepts connections. The
// kit's entry script starts no temporary server, so it appears once per start.
const PostgresReadyLine = "database system is ready to accept connections"

// TestSettings are the server settings for throwaway test databases: durability
// off, which makes DDL and commits several times faster, and room for many
// per-test connection pools.
var TestSettings = []string{
	"fsync=off", "synchronous_commit=off", "full_page_writes=off",
	"max_connections=300", "log_min_messages=warning",
}

// Postgres is a running PostgreSQL test container.
type Postgres struct {
	Container testcontainers.Container
	// Port is the host port on 127.0.0.1; it stays the same across Stop/Start.
	Port     int
	Password string
	// AdminURL is the superuser's URL to the postgres database, sslmode=disable.
	AdminURL string

	mu    sync.Mutex
	admin *pgxpool.Pool
	seq   atomic.Int64
}

// StartPostgres starts PostgreSQL 15 from the data image (building the image
// first if needed) and returns once a real query answers.
func StartPostgres(ctx context.Context) (*Postgres, error) {
	return StartPostgresWith(ctx, Options{})
}

// StartPostgresWith is StartPostgres with options.
func StartPostgresWith(ctx context.Context, o Options) (*Postgres, error) {
	t0 := time.Now()
	img := o.Image
	if img == "" {
		var err error
		if img, err = baseimage.EnsureDataImage(ctx, o.Logf); err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
	}
	pg := &Postgres{Password: stores.RandomHex(16)}
	cmd := []string{baseimage.EntryPath, "postgres"}
	for _, s := range append(append([]string(nil), TestSettings...), o.Settings...) {
		cmd = append(cmd, "-c", s)
	}
	var port int // set by startContainer before the wait strategy dials it
	req := testcontainers.ContainerRequest{
		Image:  img,
		Cmd:    cmd,
		Env:    map[string]string{"POSTGRES_PASSWORD": pg.Password},
		Labels: ownerLabels("test-postgres"),
		// /dev/shm of 64 MB (Docker's default) is enough for test loads;
		// a fast stop is what matters for Stop/Start.
		ConfigModifier: func(c *container.Config) { c.StopSignal = "SIGINT" },
		WaitingFor: wait.ForAll(
			wait.ForLog(PostgresReadyLine).WithStartupTimeout(stores.StartTimeout),
			readyFunc{what: "postgres", timeout: stores.StartTimeout, check: func(ctx context.Context) error {
				return stores.PingPostgres(ctx, pg.urlAt(port, "postgres", "disable"))
			}},
		).WithDeadline(stores.StartTimeout),
	}
	c, bound, err := startContainer(ctx, req, "5432/tcp", o.HostPort, func(p int) { port = p })
	if err != nil {
		return nil, fmt.Errorf("postgres: start container from %s: %w", img, err)
	}
	pg.Container, pg.Port = c, bound
	pg.AdminURL = pg.URL("postgres", "disable")
	o.logf("containers: postgres ready on 127.0.0.1:%d in %s", pg.Port, sh.Since(t0))
	return pg, nil
}

// URL is the superuser's URL to database with the given sslmode (disable,
// prefer, require, …; the server's certificate is self-signed, so verify-ca
// and verify-full fail).
func (p *Postgres) URL(database, sslmode string) string {
	return p.urlAt(p.Port, database, sslmode)
}

func (p *Postgres) urlAt(port int, database, sslmode string) string {
	return stores.PostgresURL(PostgresUser, p.Password, fmt.Sprintf("%s:%d", stores.Loopback, port), database, sslmode)
}

func (p *Postgres) adminPool(ctx context.Context) (*pgxpool.Pool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.admin != nil {
		return p.admin, nil
	}
	cfg, err := pgxpool.ParseConfig(p.AdminURL)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	p.admin = pool
	return pool, nil
}

var notIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// NewDatabase creates an empty database with a unique name derived from the
// test's, drops it when the test ends, and returns its URL (sslmode=disable).
// Each test gets its own database, so tests may run in parallel on one server.
func (p *Postgres) NewDatabase(ctx context.Context, tb testing.TB) string {
	tb.Helper()
	name := p.databaseName(tb.Name())
	if err := p.CreateDatabase(ctx, name); err != nil {
		tb.Fatalf("containers: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := p.DropDatabase(ctx, name); err != nil {
			tb.Errorf("containers: %v", err)
		}
	})
	return p.URL(name, "disable")
}

// databaseName makes a valid, unique identifier of at most 63 bytes.
func (p *Postgres) databaseName(testName string) string {
	base := notIdent.ReplaceAllString(strings.ToLower(testName), "_")
	if len(base) > 40 {
		base = base[:40]
	}
	return fmt.Sprintf("t_%s_%d_%s", strings.Trim(base, "_"), p.seq.Add(1), stores.RandomHex(3))
}

// CreateDatabase creates database name (a plain identifier).
func (p *Postgres) CreateDatabase(ctx context.Context, name string) error {
	pool, err := p.adminPool(ctx)
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	if _, err := pool.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// DropDatabase drops database name, disconnecting its sessions first.
func (p *Postgres) DropDatabase(ctx context.Context, name string) error {
	pool, err := p.adminPool(ctx)
	if err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	if _, err := pool.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// Stop stops the container (PostgreSQL's fast shutdown): the database is
// unreachable until Start. Pooled admin connections are dropped.
func (p *Postgres) Stop(ctx context.Context) error {
	p.closeAdmin()
	timeout := 10 * time.Second
	if err := p.Container.Stop(ctx, &timeout); err != nil {
		return fmt.Errorf("postgres: stop: %w", err)
	}
	return nil
}

// Start starts a stopped container again and waits for a real query. The
// host port is the one it had: it was fixed at creation.
func (p *Postgres) Start(ctx context.Context) error {
	if err := p.Container.Start(ctx); err != nil {
		return fmt.Errorf("postgres: start: %w", err)
	}
	return nil
}

// Terminate stops and removes the container.
func (p *Postgres) Terminate(ctx context.Context) error {
	p.closeAdmin()
	return testcontainers.TerminateContainer(p.Container, testcontainers.StopContext(ctx))
}

func (p *Postgres) closeAdmin() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.admin != nil {
		p.admin.Close()
		p.admin = nil
	}
}

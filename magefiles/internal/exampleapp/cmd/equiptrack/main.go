// Command equiptrack is an EXAMPLE build of the equiptrack services for
// testing the release kit — not the product. One binary serves any of the six
// roles (SERVICE=gateway|inventory|location|user|reporting|ui) and migrates
// the database.
//
//	equiptrack serve          serve the role named by SERVICE on PORT (8080)
//	equiptrack migrate        apply the schema migrations (seeddata/schema); with APP_DB_USER and
//	                          APP_DB_PASSWORD also create the application's own database user
//	equiptrack probe [path]   GET http://127.0.0.1:$PORT/path (default /readyz); exit 0 on 200
//	equiptrack version        print the version and build mode
//
// Built to fail, for the kit's end-to-end tests: -ldflags "-X main.breakMode=migrate"
// makes migrate exit 1; "-X main.breakMode=readyz" makes /readyz answer 503;
// "-X main.breakMode=js" makes the UI's script throw in the browser (every
// HTTP check still passes: only a real browser sees it).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/equiptrack/release-kit/magefiles/internal/exampleapp/config"
	"github.com/equiptrack/release-kit/magefiles/internal/exampleapp/service"
	"github.com/equiptrack/release-kit/seeddata/dbconfig"
	"github.com/equiptrack/release-kit/seeddata/schema"
)

// breakMode is set at build time only (-ldflags "-X main.breakMode=…"), so a
// failing image is a different image, never a runtime switch.
var breakMode string

// Break modes.
const (
	breakNone    = ""
	breakMigrate = "migrate"
	breakReadyz  = "readyz"
	breakJS      = "js"
)

// MigrateTimeout bounds a whole migrate run (connect, lock wait, apply).
const MigrateTimeout = 5 * time.Minute

// MigrateConnectTimeout bounds connecting when the URL sets no connect_timeout.
const MigrateConnectTimeout = 10 * time.Second

const usage = "usage: equiptrack serve|migrate|probe [path]|version (EXAMPLE build for testing the release kit)"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout))
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, getenv config.Getenv, out io.Writer) int {
	log := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: logLevel(getenv("LOG_LEVEL"))}))
	mode, err := parseBreakMode(breakMode)
	if err != nil {
		log.Error(err.Error())
		return 1
	}
	if len(args) == 0 {
		log.Error(usage)
		return 2
	}
	switch args[0] {
	case "serve":
		err = serve(ctx, log, getenv, mode)
	case "migrate":
		err = migrate(ctx, log, getenv, mode)
	case "probe":
		path := "/readyz"
		if len(args) > 1 {
			path = args[1]
		}
		err = probe(ctx, getenv, path)
	case "version":
		_, _ = fmt.Fprintf(out, "equiptrack (EXAMPLE build) version=%s break_mode=%q\n", versionOf(getenv), mode)
		return 0
	default:
		log.Error(fmt.Sprintf("unknown command %q; %s", args[0], usage))
		return 2
	}
	if err != nil {
		log.Error(args[0]+" failed", "err", err.Error())
		return 1
	}
	return 0
}

func parseBreakMode(s string) (string, error) {
	switch s {
	case breakNone, breakMigrate, breakReadyz, breakJS:
		return s, nil
	}
	return "", fmt.Errorf("this binary was built with an unknown break mode %q (known: %q, %q, %q, or empty)", s, breakMigrate, breakReadyz, breakJS)
}

func serve(ctx context.Context, log *slog.Logger, getenv config.Getenv, mode string) error {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log = log.With("service", cfg.Service, "version", cfg.Version, "env", cfg.Env)
	var opts service.Options
	if mode == breakReadyz {
		opts.BreakReadyz = "this image was built to fail its readiness check (breakMode=readyz)"
		log.Warn("built to fail: /readyz will always answer 503", "break_mode", mode)
	}
	if mode == breakJS {
		opts.BreakJS = "built to fail in the browser (breakMode=js)"
		log.Warn("built to fail: the UI's script throws in the browser", "break_mode", mode)
	}
	pcfg, err := service.PoolConfig(cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if cfg.DBRootCAs != nil {
		if err := dbconfig.UseRootCAs(&pcfg.ConnConfig.Config, cfg.DBRootCAs); err != nil {
			return fmt.Errorf("configuration: %w", err)
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return fmt.Errorf("database pool: %w", err)
	}
	defer pool.Close()
	ropts, err := service.RedisOptions(cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	redis.SetLogger(redisLog{log}) // go-redis's own lines as JSON too
	rdb := redis.NewClient(ropts)
	defer rdb.Close()
	return service.New(cfg, log, pool, rdb, opts).Serve(ctx)
}

func migrate(ctx context.Context, log *slog.Logger, getenv config.Getenv, mode string) error {
	if mode == breakMigrate {
		return errors.New("this image was built to fail its migration (breakMode=migrate): exiting 1 without touching the database")
	}
	dbURL, err := config.DatabaseURL(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	appUser, appPassword, err := appUserFromEnv(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, MigrateTimeout)
	defer cancel()
	start := time.Now()
	log.Info("migrating", "version", versionOf(getenv), "latest_migration", schema.Latest())
	roots, err := dbconfig.RootCAs(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	pcfg, err := dbconfig.ConnConfig(dbURL, roots)
	if err != nil {
		return fmt.Errorf("configuration: %w", err) // never echoes the URL: it holds a password
	}
	if pcfg.ConnectTimeout == 0 {
		// Without it a database behind a dropping firewall holds the release
		// for the OS's TCP timeout (minutes).
		pcfg.ConnectTimeout = MigrateConnectTimeout
	}
	conn, err := pgx.ConnectConfig(ctx, pcfg)
	if err != nil {
		return fmt.Errorf("connect to the database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	applied, err := schema.Migrate(ctx, conn)
	if err != nil {
		return err
	}
	if appUser != "" {
		if err := ensureAppUser(ctx, conn, appUser, appPassword); err != nil {
			return err
		}
	}
	log.Info("migrated", "applied", applied, "schema_version", schema.Latest(),
		"app_user", appUser, "duration_ms", time.Since(start).Milliseconds())
	return nil
}

// appIdent is what ensureAppUser accepts as a role name: a plain lowercase identifier, so it is
// never quoted differently from what the services put in DB_USER.
var appIdent = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// appUserFromEnv reads the application's database user the migration creates: APP_DB_USER and
// APP_DB_PASSWORD together, or neither (then the migration only migrates).
func appUserFromEnv(getenv config.Getenv) (string, string, error) {
	user, password := strings.TrimSpace(getenv("APP_DB_USER")), getenv("APP_DB_PASSWORD")
	switch {
	case user == "" && password == "":
		return "", "", nil
	case user == "":
		return "", "", errors.New("APP_DB_PASSWORD is set but APP_DB_USER is not")
	case password == "":
		return "", "", fmt.Errorf("APP_DB_USER=%s is set but APP_DB_PASSWORD is empty", user)
	case !appIdent.MatchString(user) || user == "postgres" || user == "rdsadmin":
		return "", "", fmt.Errorf("APP_DB_USER=%q: want a lowercase identifier (letters, digits, _) other than postgres and rdsadmin", user)
	case strings.ContainsRune(password, 0):
		return "", "", errors.New("APP_DB_PASSWORD contains a NUL byte")
	}
	return user, password, nil
}

// ensureAppUser creates the application's own login role (or resets its password) and grants it
// data access only: read and write rows of the schema's tables, use its
// sequences — no DDL, no other role, no database. The migration runs as the master user, the only
// task given those credentials; the services and the seeder connect as this role.
func ensureAppUser(ctx context.Context, conn *pgx.Conn, user, password string) error {
	ident := pgx.Identifier{user}.Sanitize()
	// CREATE/ALTER ROLE take no bind parameters: the password goes in as a string literal,
	// quotes doubled (standard_conforming_strings is on since PostgreSQL 9.1, so backslashes are
	// plain characters). Errors never carry the statement, so the password is never logged.
	literal := "'" + strings.ReplaceAll(password, "'", "''") + "'"
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", user).Scan(&exists); err != nil {
		return fmt.Errorf("look up the application user %s: %w", user, err)
	}
	verb := "CREATE"
	if exists {
		verb = "ALTER"
	}
	if _, err := conn.Exec(ctx, verb+" ROLE "+ident+" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD "+literal); err != nil {
		return fmt.Errorf("%s the application user %s: %w", strings.ToLower(verb), user, err)
	}
	var db string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		return fmt.Errorf("grant to %s: %w", user, err)
	}
	for _, stmt := range []string{
		"GRANT CONNECT ON DATABASE " + pgx.Identifier{db}.Sanitize() + " TO " + ident,
		"GRANT USAGE ON SCHEMA public TO " + ident,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + ident,
		"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO " + ident,
		// Tables and sequences later migrations create (as this same master user).
		"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO " + ident,
		"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO " + ident,
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("grant to %s: %w", user, err)
		}
	}
	return nil
}

// probe is a health check usable from a FROM-scratch image (no curl there):
// Docker's HEALTHCHECK and ECS container health checks run it.
func probe(ctx context.Context, getenv config.Getenv, path string) error {
	port := getenv("PORT")
	if port == "" {
		port = strconv.Itoa(config.DefaultPort)
	}
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("probe path %q must start with /", path)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+path, nil)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("probe %s: HTTP %d: %s", path, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

func versionOf(getenv config.Getenv) string {
	if v := strings.TrimSpace(getenv("APP_VERSION")); v != "" {
		return v
	}
	return "unknown"
}

func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// redisLog routes go-redis's internal log lines to the JSON logger.
type redisLog struct{ log *slog.Logger }

func (r redisLog) Printf(ctx context.Context, format string, v ...any) {
	r.log.WarnContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}

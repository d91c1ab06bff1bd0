package stores

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/baseimage"
	"github.com/equiptrack/release-kit/magefiles/internal/docker/dockerup"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/cachedir"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/filelock"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// Names of the local environment's Docker objects. They outlive the process
// that made them: plain Docker, not testcontainers.
const (
	LocalNetwork = "equiptrack-local"
	// LocalDatabase is the application database created on first start.
	LocalDatabase = "equiptrack"

	DefaultLocalPostgresPort = 55432
	DefaultLocalRedisPort    = 56379

	// LocalPostgresPortEnv and LocalRedisPortEnv override the host ports;
	// the targets read them (the library takes LocalOptions).
	LocalPostgresPortEnv = "EQUIPTRACK_LOCAL_PG_PORT"
	LocalRedisPortEnv    = "EQUIPTRACK_LOCAL_REDIS_PORT"
)

// Labels the kit reads back to decide whether a container is still right.
const (
	labelImage  = "equiptrack-kit.image"
	labelConfig = "equiptrack-kit.config"
)

// Stores says how to reach the local PostgreSQL and Redis. The URLs carry the
// passwords: print them only when the user asked for them (Redact otherwise).
type Stores struct {
	// PostgresURL and RedisURL are for this host (127.0.0.1 and the published
	// ports). PostgresURL uses sslmode=require: the server speaks TLS, as RDS
	// does, so the TLS path is exercised locally too.
	PostgresURL string
	RedisURL    string
	// NetworkPostgresURL and NetworkRedisURL are for containers on Network,
	// by container name (equiptrack-local-postgres:5432, …).
	NetworkPostgresURL string
	NetworkRedisURL    string
	Network            string
	PostgresContainer  string
	RedisContainer     string
	// PostgresAdminURL is PostgresURL's server with the postgres database.
	PostgresAdminURL string
	PostgresPort     int
	RedisPort        int
	Image            string
}

// LocalOptions override the local stores' defaults; zero values mean defaults.
type LocalOptions struct {
	// Name prefixes every Docker object and keys the password directory;
	// default LocalNetwork ("equiptrack-local"). Tests use their own.
	Name         string
	PostgresPort int
	RedisPort    int
}

func (o LocalOptions) network() string           { return o.Name }
func (o LocalOptions) postgresContainer() string { return o.Name + "-postgres" }
func (o LocalOptions) redisContainer() string    { return o.Name + "-redis" }
func (o LocalOptions) postgresVolume() string    { return o.Name + "-pgdata" }

// StateDir is where the local environment called name keeps what must
// outlive a process: the stores' passwords, the admin password, and (for
// localenv) the release record and lock. cachedir.Dir("local") for the
// default name, a subdirectory named after any other.
func StateDir(name string) (string, error) {
	if name == "" || name == LocalNetwork {
		return cachedir.Dir("local")
	}
	if err := CheckName(name); err != nil {
		return "", err
	}
	return cachedir.Dir("local", name)
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,40}[a-z0-9]$`)

// CheckName validates a local environment's name: it prefixes Docker
// objects and names a directory, so a DNS label.
func CheckName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("local environment name %q: want lowercase letters, digits and dashes", name)
	}
	return nil
}

func (o LocalOptions) withDefaults() (LocalOptions, error) {
	if o.Name == "" {
		o.Name = LocalNetwork
	}
	if err := CheckName(o.Name); err != nil {
		return o, fmt.Errorf("local stores: %w", err)
	}
	if o.PostgresPort == 0 {
		o.PostgresPort = DefaultLocalPostgresPort
	}
	if o.RedisPort == 0 {
		o.RedisPort = DefaultLocalRedisPort
	}
	for _, p := range []int{o.PostgresPort, o.RedisPort} {
		if p < 1 || p > 65535 {
			return o, fmt.Errorf("local stores: port %d: want 1-65535", p)
		}
	}
	if o.PostgresPort == o.RedisPort {
		return o, fmt.Errorf("local stores: PostgreSQL and Redis cannot share host port %d", o.PostgresPort)
	}
	return o, nil
}

// EnsureLocalStoresWith makes sure the local PostgreSQL and Redis run and
// answer, and returns how to reach them. Idempotent: running containers are
// reused, stopped ones started, and a container is recreated when the image,
// its port or its password changed (PostgreSQL's data is in a named volume
// and survives). The passwords are generated once and kept in
// cachedir.Dir("local") with mode 0600.
func EnsureLocalStoresWith(ctx context.Context, o LocalOptions, logf sh.Logf) (Stores, error) {
	if logf == nil {
		logf = sh.Discard
	}
	o, err := o.withDefaults()
	if err != nil {
		return Stores{}, err
	}
	if err := dockerup.Ensure(ctx, logf); err != nil {
		return Stores{}, fmt.Errorf("local stores: %w", err)
	}
	img, err := baseimage.EnsureDataImage(ctx, logf)
	if err != nil {
		return Stores{}, fmt.Errorf("local stores: %w", err)
	}
	dir, err := StateDir(o.Name)
	if err != nil {
		return Stores{}, fmt.Errorf("local stores: %w", err)
	}
	// Two targets at once (local:seed in two shells) must not both create.
	unlock, err := filelock.Lock(ctx, filepath.Join(dir, "stores.lock"), nil)
	if err != nil {
		return Stores{}, fmt.Errorf("local stores: lock: %w", err)
	}
	defer unlock()

	pgPass, err := secret(filepath.Join(dir, "postgres-password"))
	if err != nil {
		return Stores{}, fmt.Errorf("local stores: %w", err)
	}
	redisPass, err := secret(filepath.Join(dir, "redis-password"))
	if err != nil {
		return Stores{}, fmt.Errorf("local stores: %w", err)
	}
	s := Stores{
		Network:           o.network(),
		PostgresContainer: o.postgresContainer(),
		RedisContainer:    o.redisContainer(),
		PostgresPort:      o.PostgresPort,
		RedisPort:         o.RedisPort,
		Image:             img,
		PostgresURL:       PostgresURL(PostgresUser, pgPass, fmt.Sprintf("%s:%d", Loopback, o.PostgresPort), LocalDatabase, "require"),
		PostgresAdminURL: PostgresURL(PostgresUser, pgPass,
			fmt.Sprintf("%s:%d", Loopback, o.PostgresPort), "postgres", "require"),
		NetworkPostgresURL: PostgresURL(PostgresUser, pgPass, o.postgresContainer()+":5432", LocalDatabase, "require"),
		RedisURL:           RedisURL(redisPass, fmt.Sprintf("%s:%d", Loopback, o.RedisPort), 0),
		NetworkRedisURL:    RedisURL(redisPass, o.redisContainer()+":6379", 0),
	}

	if err := ensureNetwork(ctx, o.network()); err != nil {
		return Stores{}, err
	}
	t0 := time.Now()
	pgState, err := ensureContainer(ctx, logf, localContainer{
		name:    o.postgresContainer(),
		network: o.network(),
		image:   img,
		port:    o.PostgresPort,
		target:  5432,
		// The config hash covers what the container was created with, so a
		// new password or port recreates it (the data volume stays).
		config: configHash(img, strconv.Itoa(o.PostgresPort), pgPass),
		env:    map[string]string{"POSTGRES_PASSWORD": pgPass, "POSTGRES_DB": LocalDatabase},
		extra:  []string{"-v", o.postgresVolume() + ":/var/lib/postgresql/data"},
		cmd:    []string{baseimage.EntryPath, "postgres"},
	})
	if err != nil {
		return Stores{}, err
	}
	rdState, err := ensureContainer(ctx, logf, localContainer{
		name:    o.redisContainer(),
		network: o.network(),
		image:   img,
		port:    o.RedisPort,
		target:  6379,
		config:  configHash(img, strconv.Itoa(o.RedisPort), redisPass),
		env:     map[string]string{"REDIS_PASSWORD": redisPass},
		cmd:     []string{baseimage.EntryPath, "redis"},
	})
	if err != nil {
		return Stores{}, err
	}

	if err := waitLocalPostgres(ctx, s, pgPass, pgState == stateCreated); err != nil {
		return Stores{}, err
	}
	if err := waitReady(ctx, "redis", func(ctx context.Context) error { return PingRedis(ctx, s.RedisURL) }); err != nil {
		return Stores{}, fmt.Errorf("local stores: %w (docker logs %s)", err, s.RedisContainer)
	}
	logf("local stores: postgres %s (127.0.0.1:%d), redis %s (127.0.0.1:%d) on network %s, ready in %s",
		pgState, s.PostgresPort, rdState, s.RedisPort, s.Network, sh.Since(t0))
	return s, nil
}

type containerState string

const (
	stateRunning containerState = "reused"
	stateStarted containerState = "started"
	stateCreated containerState = "created"
)

type localContainer struct {
	name, network, image string
	port, target         int
	config               string
	env                  map[string]string
	extra, cmd           []string
}

// ensureContainer reuses, starts or (re)creates one named container.
func ensureContainer(ctx context.Context, logf sh.Logf, c localContainer) (containerState, error) {
	out, err := docker(ctx, nil, "container", "inspect", "--format",
		`{{.State.Running}}|{{index .Config.Labels "`+labelImage+`"}}|{{index .Config.Labels "`+labelConfig+`"}}`, c.name)
	if err == nil {
		parts := strings.Split(strings.TrimSpace(out), "|")
		current := len(parts) == 3 && parts[1] == c.image && parts[2] == c.config
		if current && parts[0] == "true" {
			return stateRunning, nil
		}
		if current {
			_, err := docker(ctx, nil, "start", c.name)
			if err == nil {
				return stateStarted, nil
			}
			// E.g. its network was removed meanwhile: a new container (same
			// volume) is the way back.
			logf("local stores: %s does not start (%v); recreating it", c.name, err)
		} else {
			logf("local stores: %s was made from another image or settings; recreating it", c.name)
		}
		if _, err := docker(ctx, nil, "rm", "-f", c.name); err != nil {
			return "", fmt.Errorf("local stores: remove outdated %s: %w", c.name, err)
		}
	} else if !strings.Contains(err.Error(), "No such container") {
		return "", fmt.Errorf("local stores: inspect %s: %w", c.name, err)
	}

	args := []string{"run", "-d", "--name", c.name,
		"--network", c.network,
		"--restart", "unless-stopped",
		// PostgreSQL's SIGTERM waits for every client to leave; SIGINT is its
		// fast shutdown (the import cannot set STOPSIGNAL on Docker 20.10).
		"--stop-signal", "SIGINT",
		"-p", fmt.Sprintf("%s:%d:%d", Loopback, c.port, c.target),
		"--label", labelImage + "=" + c.image,
		"--label", labelConfig + "=" + c.config,
		"--label", "equiptrack-kit.role=local",
	}
	// `-e NAME` without a value takes it from docker's own environment, so the
	// secrets never appear on a command line.
	env := os.Environ()
	for k, v := range c.env {
		args = append(args, "-e", k)
		env = append(env, k+"="+v)
	}
	args = append(args, c.extra...)
	args = append(args, c.image)
	args = append(args, c.cmd...)
	if _, err := docker(ctx, env, args...); err != nil {
		if strings.Contains(err.Error(), "port is already allocated") || strings.Contains(err.Error(), "address already in use") {
			_, _ = docker(ctx, nil, "rm", "-f", c.name)
			return "", fmt.Errorf("local stores: host port %d is taken by something else; free it or set another port (%s / %s)",
				c.port, LocalPostgresPortEnv, LocalRedisPortEnv)
		}
		return "", fmt.Errorf("local stores: create %s: %w", c.name, err)
	}
	return stateCreated, nil
}

// waitLocalPostgres waits for the server, then makes sure the stored password
// and the application database are in place: a data volume may predate the
// password file (a wiped cache) and initdb ran only on the volume's first use.
func waitLocalPostgres(ctx context.Context, s Stores, password string, created bool) error {
	isReady := func(ctx context.Context) error {
		_, err := docker(ctx, nil, "exec", s.PostgresContainer,
			"/usr/lib/postgresql/15/bin/pg_isready", "-q", "-h", "/var/run/postgresql")
		return err
	}
	if err := waitReady(ctx, "postgres", isReady); err != nil {
		return fmt.Errorf("local stores: %w (docker logs %s)", err, s.PostgresContainer)
	}
	if created {
		// Through the container's socket (trusted locally) and stdin, so the
		// password is never on a command line; the server stores its SCRAM hash.
		sql := fmt.Sprintf("ALTER ROLE postgres PASSWORD %s;\n", quoteLiteral(password))
		if _, err := dockerIn(ctx, nil, sql, "exec", "-i", s.PostgresContainer, "setpriv", "--reuid=postgres",
			"--regid=postgres", "--init-groups", "/usr/lib/postgresql/15/bin/psql", "-q", "-X",
			"-v", "ON_ERROR_STOP=1", "-h", "/var/run/postgresql", "-U", "postgres", "-d", "postgres"); err != nil {
			return fmt.Errorf("local stores: set the postgres password: %w", err)
		}
	}
	var conn *pgx.Conn
	err := waitReady(ctx, "postgres (TLS query)", func(ctx context.Context) error {
		c, err := pgx.Connect(ctx, s.PostgresAdminURL)
		if err != nil {
			return err
		}
		conn = c
		return nil
	})
	if err != nil {
		return fmt.Errorf("local stores: %w", err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", LocalDatabase).Scan(&exists); err != nil {
		return fmt.Errorf("local stores: query postgres: %w", err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{LocalDatabase}.Sanitize()); err != nil {
			return fmt.Errorf("local stores: create database %s: %w", LocalDatabase, err)
		}
	}
	return nil
}

func waitReady(ctx context.Context, what string, check func(context.Context) error) error {
	return WaitReady(ctx, what, StartTimeout, check, nil)
}

func ensureNetwork(ctx context.Context, name string) error {
	if _, err := docker(ctx, nil, "network", "inspect", name); err == nil {
		return nil
	}
	if _, err := docker(ctx, nil, "network", "create", "--label", "equiptrack-kit.role=local", name); err != nil {
		// Another process may have created it meanwhile.
		if _, err2 := docker(ctx, nil, "network", "inspect", name); err2 == nil {
			return nil
		}
		return fmt.Errorf("local stores: create network %s: %w", name, err)
	}
	return nil
}

// RemoveLocalStoresWith removes the local containers and the network; with
// keepData false also PostgreSQL's volume and the stored passwords. Missing
// pieces are not an error. The network stays, with an error, while other
// containers (the local services) still use it.
func RemoveLocalStoresWith(ctx context.Context, o LocalOptions, keepData bool) error {
	if o.Name == "" {
		o.Name = LocalNetwork
	}
	if err := CheckName(o.Name); err != nil {
		return fmt.Errorf("local stores: %w", err)
	}
	var errs []error
	for _, name := range []string{o.postgresContainer(), o.redisContainer()} {
		if _, err := docker(ctx, nil, "rm", "-f", "-v", name); err != nil && !strings.Contains(err.Error(), "No such container") {
			errs = append(errs, fmt.Errorf("remove %s: %w", name, err))
		}
	}
	// By ID: Docker allows two networks of one name (two kits racing without
	// the lock), and `network rm NAME` refuses to pick one.
	ids, err := docker(ctx, nil, "network", "ls", "-q", "--filter", "name=^"+o.network()+"$")
	if err != nil {
		errs = append(errs, fmt.Errorf("list networks: %w", err))
	}
	for _, id := range strings.Fields(ids) {
		if _, err := docker(ctx, nil, "network", "rm", id); err != nil && !strings.Contains(err.Error(), "not found") {
			errs = append(errs, fmt.Errorf("remove network %s (%s): %w", o.network(), id, err))
		}
	}
	if !keepData {
		if _, err := docker(ctx, nil, "volume", "rm", o.postgresVolume()); err != nil && !strings.Contains(err.Error(), "No such volume") {
			errs = append(errs, fmt.Errorf("remove volume %s: %w", o.postgresVolume(), err))
		}
		// A new database gets a new admin too: its password goes with the data.
		if dir, err := StateDir(o.Name); err == nil {
			for _, f := range []string{"postgres-password", "redis-password", AdminPasswordFile} {
				if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
					errs = append(errs, err)
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("local stores: %w", err)
	}
	return nil
}

// AdminPasswordFile is the admin password's file name in StateDir.
const AdminPasswordFile = "admin-password"

// AdminPassword is the password of the seeded admin user of the local
// environment called name ("" is the default): generated once, kept in
// StateDir(name)/admin-password with mode 0600 and never printed. local:seed
// and the release pipeline's seed task both use it, so the two can never
// leave different passwords. It returns the password and the file's path
// (which may be printed).
func AdminPassword(name string) (password, path string, err error) {
	dir, err := StateDir(name)
	if err != nil {
		return "", "", err
	}
	path = filepath.Join(dir, AdminPasswordFile)
	password, err = secret(path)
	if err != nil {
		return "", "", fmt.Errorf("admin password: %w", err)
	}
	return password, path, nil
}

// secret reads a password file, creating it (0600) with a random value first.
func secret(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		if s := strings.TrimSpace(string(b)); s != "" {
			return s, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	s := RandomHex(16)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(s+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return s, nil
}

func configHash(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])[:16]
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// docker runs the docker CLI and returns its stdout; errors carry stderr.
// A nil env inherits this process's environment.
func docker(ctx context.Context, env []string, args ...string) (string, error) {
	return dockerIn(ctx, env, "", args...)
}

// dockerIn is docker with text on standard input (never on the command line).
func dockerIn(ctx context.Context, env []string, in string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	// One line: these errors end up in one-line messages.
	o := sh.Options{Env: env, Join: " "}
	if in != "" {
		o.Stdin = strings.NewReader(in)
	}
	return o.Run(ctx, "docker", args...)
}

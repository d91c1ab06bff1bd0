// Package config reads the example services' configuration from the
// environment — the only way ECS task definitions and the local Docker backend
// pass it. Parsing is a pure function of a getenv func so it can be tested
// without touching the process environment.
package config

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/equiptrack/release-kit/seeddata/dbconfig"
)

// Services are the six roles one binary can serve.
var Services = []string{"gateway", "inventory", "location", "user", "reporting", "ui"}

// Backends are the services the gateway routes /api/<service>/… to.
var Backends = []string{"inventory", "location", "user", "reporting"}

// Config is everything a service needs to start.
type Config struct {
	Service string // role: one of Services
	Env     string // APP_ENV, shown in health (e.g. local, dev, staging)
	Version string // APP_VERSION, shown in health
	Port    int    // PORT, default 8080

	// DatabaseURL is a pgx connection string. It may hold a password: never log it.
	DatabaseURL string
	// DBRootCAs, when not nil (DB_SSLROOTCERT=rds), is what the database's
	// certificate is verified against: the RDS CA bundle built into the binary.
	DBRootCAs *x509.CertPool
	// RedisURL is a go-redis URL (redis://[user:pass@]host:port/db).
	RedisURL string

	// Upstreams maps each backend service to its base URL (gateway only, but
	// always filled so a misconfiguration shows at start on every role).
	Upstreams map[string]*url.URL

	// ShutdownTimeout bounds the drain of in-flight requests on SIGTERM.
	ShutdownTimeout time.Duration
}

// Defaults.
const (
	DefaultPort            = 8080
	DefaultShutdownTimeout = 20 * time.Second // under ECS's default 30 s stopTimeout
)

// Getenv is os.Getenv's shape.
type Getenv = dbconfig.Getenv

// FromEnv reads and validates the configuration of the service named by
// SERVICE. Every problem is reported, joined, each naming its variable.
func FromEnv(getenv Getenv) (Config, error) {
	var errs []error
	c := Config{
		Service: strings.TrimSpace(getenv("SERVICE")),
		Env:     strings.TrimSpace(getenv("APP_ENV")),
		Version: strings.TrimSpace(getenv("APP_VERSION")),
	}
	if c.Service == "" {
		errs = append(errs, fmt.Errorf("SERVICE is not set (one of %s)", strings.Join(Services, ", ")))
	} else if !isService(c.Service) {
		errs = append(errs, fmt.Errorf("SERVICE=%q is not one of %s", c.Service, strings.Join(Services, ", ")))
	}
	if c.Env == "" {
		c.Env = "unknown"
	}
	if c.Version == "" {
		c.Version = "unknown"
	}
	port, err := dbconfig.IntVar(getenv, "PORT", DefaultPort, 1, 65535)
	errs = appendErr(errs, err)
	c.Port = port

	c.DatabaseURL, err = DatabaseURL(getenv)
	errs = appendErr(errs, err)
	c.DBRootCAs, err = dbconfig.RootCAs(getenv)
	errs = appendErr(errs, err)
	c.RedisURL, err = RedisURL(getenv)
	errs = appendErr(errs, err)
	c.Upstreams, err = Upstreams(getenv)
	errs = appendErr(errs, err)

	c.ShutdownTimeout = DefaultShutdownTimeout
	if v := strings.TrimSpace(getenv("SHUTDOWN_TIMEOUT")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("SHUTDOWN_TIMEOUT=%q is not a positive duration (e.g. 20s)", v))
		} else {
			c.ShutdownTimeout = d
		}
	}
	return c, errors.Join(errs...)
}

// DatabaseURL returns DATABASE_URL when set, else a URL assembled from the
// DB_* variables and the DB_SECRET JSON secret (see seeddata/dbconfig, shared
// with the seeder, which runs as an ECS task with the same variables).
func DatabaseURL(getenv Getenv) (string, error) { return dbconfig.DatabaseURL(getenv) }

// RedisURL returns REDIS_URL when set, else redis://REDIS_HOST:REDIS_PORT/0.
func RedisURL(getenv Getenv) (string, error) { return dbconfig.RedisURL(getenv) }

// Upstreams returns the base URL of every backend: UPSTREAM_<SERVICE> when
// set, else http://<service>.<SERVICE_DOMAIN>:8080 when SERVICE_DOMAIN is set
// (AWS Cloud Map service discovery), else http://<service>:8080 (a Docker
// network alias).
func Upstreams(getenv Getenv) (map[string]*url.URL, error) {
	domain := strings.Trim(strings.TrimSpace(getenv("SERVICE_DOMAIN")), ".")
	out := make(map[string]*url.URL, len(Backends))
	var errs []error
	for _, s := range Backends {
		name := "UPSTREAM_" + strings.ToUpper(s)
		raw := strings.TrimSpace(getenv(name))
		if raw == "" {
			host := s
			if domain != "" {
				host = s + "." + domain
			}
			raw = "http://" + net.JoinHostPort(host, strconv.Itoa(DefaultPort))
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			errs = append(errs, fmt.Errorf("%s=%q is not an http(s)://host[:port] URL", name, raw))
			continue
		}
		u.Path = ""
		out[s] = u
	}
	return out, errors.Join(errs...)
}

func isService(s string) bool {
	for _, v := range Services {
		if v == s {
			return true
		}
	}
	return false
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}

// Package config reads the example services' configuration from the
// environment — the only way ECS task definitions and the local Docker backend
// pass it. Parsing is a pure function of a getenv func so it can be tested
// without touching the process environment.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
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
	DefaultDBPort          = 5432
	DefaultRedisPort       = 6379
	DefaultSSLMode         = "prefer"
)

// Getenv is os.Getenv's shape.
type Getenv func(string) string

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
	port, err := intVar(getenv, "PORT", DefaultPort, 1, 65535)
	errs = appendErr(errs, err)
	c.Port = port

	c.DatabaseURL, err = DatabaseURL(getenv)
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

// dbSecret is the JSON secret AWS injects from Secrets Manager. RDS-managed
// secrets carry only username and password; secrets written by hand often
// add host, port and dbname, which are used when the DB_* variables are unset.
type dbSecret struct {
	Username string          `json:"username"`
	Password string          `json:"password"`
	Host     string          `json:"host"`
	Port     json.RawMessage `json:"port"` // number or string, depending on who wrote it
	DBName   string          `json:"dbname"`
}

// DatabaseURL returns DATABASE_URL when set, else a URL assembled from
// DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD, DB_SSLMODE and the JSON
// secret DB_SECRET (username/password, optionally host/port/dbname); the
// plain variables win over the secret's fields.
func DatabaseURL(getenv Getenv) (string, error) {
	if u := strings.TrimSpace(getenv("DATABASE_URL")); u != "" {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "postgres" && p.Scheme != "postgresql") || p.Host == "" {
			// Never echo the value: it may carry a password.
			return "", errors.New("DATABASE_URL is not a postgres://user:pass@host:port/db URL")
		}
		return u, nil
	}
	var sec dbSecret
	if raw := strings.TrimSpace(getenv("DB_SECRET")); raw != "" {
		if err := json.Unmarshal([]byte(raw), &sec); err != nil {
			return "", errors.New("DB_SECRET is not a JSON object with username and password keys")
		}
	}
	host := firstNonEmpty(getenv("DB_HOST"), sec.Host)
	user := firstNonEmpty(getenv("DB_USER"), sec.Username)
	name := firstNonEmpty(getenv("DB_NAME"), sec.DBName)
	password := getenv("DB_PASSWORD")
	if password == "" {
		password = sec.Password
	}
	portStr := strings.TrimSpace(getenv("DB_PORT"))
	if portStr == "" && len(sec.Port) > 0 {
		portStr = strings.Trim(string(sec.Port), `"`)
	}
	var missing []string
	if host == "" {
		missing = append(missing, "DB_HOST")
	}
	if user == "" {
		missing = append(missing, "DB_USER (or DB_SECRET username)")
	}
	if name == "" {
		missing = append(missing, "DB_NAME")
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("database: set DATABASE_URL, or %s", strings.Join(missing, ", "))
	}
	port := DefaultDBPort
	if portStr != "" {
		p, err := strconv.Atoi(portStr)
		if err != nil || p < 1 || p > 65535 {
			return "", fmt.Errorf("DB_PORT=%q is not a port number", portStr)
		}
		port = p
	}
	sslmode := strings.TrimSpace(getenv("DB_SSLMODE"))
	if sslmode == "" {
		sslmode = DefaultSSLMode
	}
	switch sslmode {
	case "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
	default:
		return "", fmt.Errorf("DB_SSLMODE=%q is not a libpq sslmode (disable, allow, prefer, require, verify-ca, verify-full)", sslmode)
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(user, password),
		Host:     net.JoinHostPort(host, strconv.Itoa(port)),
		Path:     "/" + name,
		RawQuery: url.Values{"sslmode": {sslmode}}.Encode(),
	}
	if password == "" {
		u.User = url.User(user)
	}
	return u.String(), nil
}

// RedisURL returns REDIS_URL when set, else redis://REDIS_HOST:REDIS_PORT/0.
func RedisURL(getenv Getenv) (string, error) {
	if u := strings.TrimSpace(getenv("REDIS_URL")); u != "" {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "redis" && p.Scheme != "rediss") || p.Host == "" {
			return "", errors.New("REDIS_URL is not a redis://host:port/db URL")
		}
		return u, nil
	}
	host := strings.TrimSpace(getenv("REDIS_HOST"))
	if host == "" {
		return "", errors.New("redis: set REDIS_URL or REDIS_HOST (and REDIS_PORT)")
	}
	port, err := intVar(getenv, "REDIS_PORT", DefaultRedisPort, 1, 65535)
	if err != nil {
		return "", err
	}
	return (&url.URL{Scheme: "redis", Host: net.JoinHostPort(host, strconv.Itoa(port)), Path: "/0"}).String(), nil
}

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

func intVar(getenv Getenv, name string, def, lo, hi int) (int, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return def, fmt.Errorf("%s=%q is not an integer in [%d, %d]", name, v, lo, hi)
	}
	return n, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}

// Package dbconfig reads PostgreSQL and Redis connection settings from the
// environment. The example services and the seeder share it because both run
// as ECS tasks that receive the same variables: DATABASE_URL, or DB_HOST,
// DB_PORT, DB_NAME, DB_SSLMODE with DB_USER/DB_PASSWORD (or the JSON secret
// DB_SECRET) injected from Secrets Manager — a task definition cannot build a
// URL out of secrets — and REDIS_URL or REDIS_HOST/REDIS_PORT.
package dbconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Defaults.
const (
	DefaultPostgresPort = 5432
	DefaultRedisPort    = 6379
	// DefaultSSLMode is used when neither the URL nor DB_SSLMODE names one:
	// encrypted always (libpq's and pgx's "prefer" silently falls back to
	// plain text). RDS for PostgreSQL 15+ forces TLS and the kit's local
	// stores serve it too.
	DefaultSSLMode = "require"
)

// Getenv is os.Getenv's shape.
type Getenv func(string) string

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
		return WithDefaultSSLMode(u), nil
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
	port := DefaultPostgresPort
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
	port, err := IntVar(getenv, "REDIS_PORT", DefaultRedisPort, 1, 65535)
	if err != nil {
		return "", err
	}
	return (&url.URL{Scheme: "redis", Host: net.JoinHostPort(host, strconv.Itoa(port)), Path: "/0"}).String(), nil
}

// IntVar reads the integer variable name in [lo, hi], def when unset; the
// example services read their PORT with it too.
func IntVar(getenv Getenv, name string, def, lo, hi int) (int, error) {
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

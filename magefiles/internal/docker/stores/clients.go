package stores

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// What the local stores and the test containers (package containertest) have
// in common: the same data image, so the same user, URLs and readiness
// checks.

// PostgresUser is the superuser of every kit PostgreSQL.
const PostgresUser = "postgres"

// StartTimeout bounds how long one container may take to become ready.
const StartTimeout = 90 * time.Second

// Loopback is where every port is published and dialled: the machines the
// kit runs on may not route to a container's bridge address.
const Loopback = "127.0.0.1"

// PostgresURL builds a postgres:// URL.
func PostgresURL(user, password, hostport, database, sslmode string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(user, password),
		Host:     hostport,
		Path:     "/" + database,
		RawQuery: url.Values{"sslmode": {sslmode}}.Encode(),
	}
	return u.String()
}

// RedisURL builds a redis:// URL for logical database db.
func RedisURL(password, hostport string, db int) string {
	u := url.URL{Scheme: "redis", Host: hostport, Path: fmt.Sprintf("/%d", db)}
	if password != "" {
		u.User = url.UserPassword("default", password)
	}
	return u.String()
}

// PingPostgres runs a real query: a log line alone says the server started,
// not that it answers.
func PingPostgres(ctx context.Context, u string) error {
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var one int
	return conn.QueryRow(ctx, "SELECT 1").Scan(&one)
}

// PingRedis sends one PING without the client's own retries.
func PingRedis(ctx context.Context, u string) error {
	opt, err := redis.ParseURL(u)
	if err != nil {
		return err
	}
	opt.MaxRetries = -1
	c := redis.NewClient(opt)
	defer c.Close()
	return c.Ping(ctx).Err()
}

// WaitReady runs check until it succeeds, for at most timeout. gone, when
// not nil, says whether the server has exited (and how): then waiting longer
// is pointless and WaitReady returns at once.
func WaitReady(ctx context.Context, what string, timeout time.Duration, check func(context.Context) error, gone func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
		last = check(cctx)
		ccancel()
		if last == nil {
			return nil
		}
		if gone != nil {
			if err := gone(ctx); err != nil {
				return fmt.Errorf("%s %v before answering: %w", what, err, last)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready within %s: %w", what, timeout, errors.Join(ctx.Err(), last))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// RandomHex returns n random bytes in hex: passwords and unique names.
func RandomHex(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // the kernel's RNG does not fail
	}
	return hex.EncodeToString(b)
}

// Redact replaces the password of a URL with "xxxxx", for logs.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable URL>"
	}
	return u.Redacted()
}

// FreePort asks the kernel for a free TCP port on 127.0.0.1. Another process
// may take it before Docker binds it; callers retry with a new one then.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", Loopback+":0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

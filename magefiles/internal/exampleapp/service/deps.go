package service

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// PoolConfig is the pgx pool configuration of a service. The pool connects
// lazily, so a service starts (and /healthz answers) while the database is
// down; /readyz says why it is not ready.
func PoolConfig(databaseURL string) (*pgxpool.Config, error) {
	c, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, errors.New("the database URL does not parse") // never echo it: it holds a password
	}
	c.MaxConns = 8
	c.ConnConfig.ConnectTimeout = 3 * time.Second
	return c, nil
}

// RedisOptions are the go-redis options of a service: fail fast, so
// readiness answers within its timeout even when Redis is down or hangs
// (go-redis otherwise retries dials five times and ignores context deadlines).
func RedisOptions(redisURL string) (*redis.Options, error) {
	o, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, errors.New("the Redis URL does not parse")
	}
	o.DialerRetries = 1
	o.MaxRetries = 1
	o.DialTimeout = 2 * time.Second
	o.ReadTimeout = 2 * time.Second
	o.WriteTimeout = 2 * time.Second
	o.ContextTimeoutEnabled = true
	return o, nil
}

package seeddata

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// quietRedis drops go-redis's own log lines. The library logs every failed
// dial through a process-wide logger ("pool.go:…: failed to dial after …"),
// once per attempt and again from a background re-dial; the seeder reports
// each error itself, in one line, so those lines would only repeat it.
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

var silenceRedis sync.Once

func newRedisClient(opt *redis.Options) *redis.Client {
	silenceRedis.Do(func() { redis.SetLogger(quietRedis{}) })
	o := *opt
	o.DialTimeout = 5 * time.Second
	// One dial attempt and no command retries: an unreachable cache fails
	// the run at once, with one error, instead of after retries.
	o.DialerRetries = 1
	o.MaxRetries = -1
	o.ContextTimeoutEnabled = true
	return redis.NewClient(&o)
}

// pingRedis checks, before the database is touched, that the cache answers.
func pingRedis(ctx context.Context, opt *redis.Options) error {
	c := newRedisClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("cache %w: redis %s: %w; nothing written", ErrUnreachable, opt.Addr, err)
	}
	return nil
}

// InvalidateCache deletes every key matching CacheKeyPattern from the Redis at
// redisURL (SCAN + UNLINK in batches, never KEYS) and returns how many it
// deleted. Other keys are left alone.
func InvalidateCache(ctx context.Context, redisURL string) (int, error) {
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return 0, fmt.Errorf("%w: REDIS_URL is not a valid redis:// URL", ErrBadOptions)
	}
	return invalidate(ctx, opt)
}

func invalidate(ctx context.Context, opt *redis.Options) (int, error) {
	c := newRedisClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	deleted := 0
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, CacheKeyPattern, 1000).Result()
		if err != nil {
			return deleted, fmt.Errorf("redis %s: scan %s: %w", opt.Addr, CacheKeyPattern, err)
		}
		if len(keys) > 0 {
			// One UNLINK per key, pipelined: ElastiCache Serverless is cluster
			// mode, where a multi-key UNLINK over keys in different hash slots
			// fails with CROSSSLOT.
			cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, k := range keys {
					p.Unlink(ctx, k)
				}
				return nil
			})
			if err != nil {
				return deleted, fmt.Errorf("redis %s: unlink: %w", opt.Addr, err)
			}
			for _, cmd := range cmds {
				deleted += int(cmd.(*redis.IntCmd).Val())
			}
		}
		if next == 0 {
			return deleted, nil
		}
		cursor = next
	}
}

package seeddata

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// InvalidateCache deletes every key matching CacheKeyPattern from the Redis at
// redisURL (SCAN + UNLINK in batches, never KEYS) and returns how many it
// deleted. Other keys are left alone.
func InvalidateCache(ctx context.Context, redisURL string) (int, error) {
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return 0, fmt.Errorf("%w: REDIS_URL is not a valid redis:// URL", ErrBadOptions)
	}
	opt.DialTimeout = 5 * time.Second
	c := redis.NewClient(opt)
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

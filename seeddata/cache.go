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
			n, err := c.Unlink(ctx, keys...).Result()
			if err != nil {
				return deleted, fmt.Errorf("redis %s: unlink: %w", opt.Addr, err)
			}
			deleted += int(n)
		}
		if next == 0 {
			return deleted, nil
		}
		cursor = next
	}
}

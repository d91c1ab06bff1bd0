package containertest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/redis/go-redis/v9"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/baseimage"
	"github.com/equiptrack/release-kit/magefiles/internal/docker/stores"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// RedisDatabases is how many logical databases the kit's Redis has, so that
// every test of a package can take its own (index 0 is left to ad-hoc use).
const RedisDatabases = 1024

// RedisReadyLine is what redis-server logs once it accepts connections.
const RedisReadyLine = "Ready to accept connections"

// Redis is a running Redis test container (no password, no persistence).
type Redis struct {
	Container testcontainers.Container
	// Port is the host port on 127.0.0.1; it stays the same across Stop/Start.
	Port int
	// URL is the URL of logical database 0.
	URL string

	mu   sync.Mutex
	next int
}

// StartRedis starts redis-server from the data image (building the image
// first if needed) and returns once PING answers.
func StartRedis(ctx context.Context) (*Redis, error) {
	return StartRedisWith(ctx, Options{})
}

// StartRedisWith is StartRedis with options.
func StartRedisWith(ctx context.Context, o Options) (*Redis, error) {
	t0 := time.Now()
	img := o.Image
	if img == "" {
		var err error
		if img, err = baseimage.EnsureDataImage(ctx, o.Logf); err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
	}
	var port int
	req := testcontainers.ContainerRequest{
		Image:          img,
		Cmd:            []string{baseimage.EntryPath, "redis"},
		Env:            map[string]string{"REDIS_DATABASES": fmt.Sprint(RedisDatabases)},
		Labels:         ownerLabels("test-redis"),
		ConfigModifier: func(c *container.Config) { c.StopSignal = "SIGINT" },
		WaitingFor: wait.ForAll(
			wait.ForLog(RedisReadyLine).WithStartupTimeout(stores.StartTimeout),
			readyFunc{what: "redis", timeout: stores.StartTimeout, check: func(ctx context.Context) error {
				return stores.PingRedis(ctx, stores.RedisURL("", fmt.Sprintf("%s:%d", stores.Loopback, port), 0))
			}},
		).WithDeadline(stores.StartTimeout),
	}
	c, bound, err := startContainer(ctx, req, "6379/tcp", o.HostPort, func(p int) { port = p })
	if err != nil {
		return nil, fmt.Errorf("redis: start container from %s: %w", img, err)
	}
	r := &Redis{Container: c, Port: bound, next: 1}
	r.URL = r.DBURL(0)
	o.logf("containers: redis ready on 127.0.0.1:%d in %s", r.Port, sh.Since(t0))
	return r, nil
}

// DBURL is the URL of logical database db.
func (r *Redis) DBURL(db int) string {
	return stores.RedisURL("", fmt.Sprintf("%s:%d", stores.Loopback, r.Port), db)
}

// NewDB hands the test a logical database of its own (indexes 1…1023, never
// reused within a container), flushed when the test ends, and returns its URL.
func (r *Redis) NewDB(tb testing.TB) string {
	tb.Helper()
	r.mu.Lock()
	db := r.next
	r.next++
	r.mu.Unlock()
	if db >= RedisDatabases {
		tb.Fatalf("containers: all %d Redis databases of this container are taken; start another Redis", RedisDatabases-1)
	}
	u := r.DBURL(db)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		opt, _ := redis.ParseURL(u)
		c := redis.NewClient(opt)
		defer c.Close()
		if err := c.FlushDB(ctx).Err(); err != nil {
			tb.Errorf("containers: flush redis db %d: %v", db, err)
		}
	})
	return u
}

// Stop stops the container; Start brings it back on the same port, empty.
func (r *Redis) Stop(ctx context.Context) error {
	timeout := 10 * time.Second
	if err := r.Container.Stop(ctx, &timeout); err != nil {
		return fmt.Errorf("redis: stop: %w", err)
	}
	return nil
}

// Start starts a stopped container again and waits for PING.
func (r *Redis) Start(ctx context.Context) error {
	if err := r.Container.Start(ctx); err != nil {
		return fmt.Errorf("redis: start: %w", err)
	}
	return nil
}

// Terminate stops and removes the container.
func (r *Redis) Terminate(ctx context.Context) error {
	return testcontainers.TerminateContainer(r.Container, testcontainers.StopContext(ctx))
}

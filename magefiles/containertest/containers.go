// Package containers starts the kit's PostgreSQL and Redis from the locally
// built data image (package baseimage): short-lived testcontainers for tests,
// shared per test package through Run in TestMain, and the long-lived named
// containers of the local environment (EnsureLocalStores).
//
// Every URL uses 127.0.0.1 and a published port, never a container IP: the
// machines the kit runs on may not route to the bridge network.
package containertest

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/stores"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// Options tune StartPostgres and StartRedis. The zero value is fine.
type Options struct {
	// Image is the data image ref; empty means baseimage.EnsureDataImage.
	Image string
	// Logf receives progress lines (image build, readiness); nil is silent.
	Logf sh.Logf
	// HostPort is the host port to publish on 127.0.0.1; 0 picks a free one
	// before the container is created, so it stays the same across Stop/Start.
	HostPort int
	// Settings are extra PostgreSQL settings ("name=value", passed as -c),
	// after TestSettings. Ignored by Redis.
	Settings []string
}

func (o Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// startContainer creates and starts a container from req with containerPort
// published on 127.0.0.1:hostPort (a free one when 0), retrying with another
// free port when the chosen one was taken meanwhile. usePort is called with
// the port before each attempt, so wait strategies can dial it.
func startContainer(ctx context.Context, req testcontainers.ContainerRequest, containerPort string, hostPort int, usePort func(int)) (testcontainers.Container, int, error) {
	fixed := hostPort != 0
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := hostPort
		if !fixed {
			p, err := stores.FreePort()
			if err != nil {
				return nil, 0, err
			}
			port = p
		}
		usePort(port)
		r := req
		r.ExposedPorts = []string{containerPort}
		cport := network.MustParsePort(containerPort)
		prev := req.HostConfigModifier
		r.HostConfigModifier = func(hc *container.HostConfig) {
			if prev != nil {
				prev(hc)
			}
			hc.PortBindings = network.PortMap{cport: {{HostIP: netip.MustParseAddr(stores.Loopback), HostPort: fmt.Sprint(port)}}}
		}
		c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{ContainerRequest: r, Started: true})
		if err == nil {
			return c, port, nil
		}
		// Never leave a half-started container behind; keep its last words.
		if c != nil {
			if logs := containerLogTail(c, 20); logs != "" {
				err = fmt.Errorf("%w\ncontainer log:\n%s", err, logs)
			}
			_ = testcontainers.TerminateContainer(c)
		}
		lastErr = err
		if fixed || !portTaken(err) || ctx.Err() != nil {
			break
		}
	}
	return nil, 0, lastErr
}

// containerLogTail returns the last n lines of a container's output.
func containerLogTail(c testcontainers.Container, n int) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rc, err := c.Logs(ctx)
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return sh.Tail(string(b), n)
}

func portTaken(err error) bool {
	s := err.Error()
	return strings.Contains(s, "address already in use") || strings.Contains(s, "port is already allocated")
}

// readyFunc is a wait strategy running a real client call until it succeeds:
// a log line alone says the server started, not that it answers.
type readyFunc struct {
	what    string
	timeout time.Duration
	check   func(ctx context.Context) error
}

func (r readyFunc) WaitUntilReady(ctx context.Context, target wait.StrategyTarget) error {
	var gone func(context.Context) error
	if target != nil {
		gone = func(ctx context.Context) error {
			if st, err := target.State(ctx); err == nil && !st.Running && (st.Status == "exited" || st.Status == "dead") {
				return fmt.Errorf("exited (code %d)", st.ExitCode)
			}
			return nil
		}
	}
	return stores.WaitReady(ctx, r.what, r.timeout, r.check, gone)
}

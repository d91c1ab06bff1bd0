// Package service is the HTTP side of the example services: one App serves
// the role named in its configuration (gateway, inventory, location, user,
// reporting or ui), every role with /healthz and /readyz.
//
// This is an EXAMPLE build of equiptrack for testing the release kit, not the
// product.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/equiptrack/release-kit/magefiles/internal/exampleapp/config"
	"github.com/equiptrack/release-kit/magefiles/internal/exampleapp/store"
)

// ReadyTimeout bounds each readiness check (PostgreSQL, Redis): a probe must
// answer well within a load balancer's health-check timeout.
const ReadyTimeout = 2 * time.Second

// Pinger is a dependency readiness checks ask.
type Pinger func(ctx context.Context) error

// Options are what the binary's build decides, not its configuration.
type Options struct {
	// BreakReadyz, when non-empty, makes /readyz always answer 503 with this
	// reason: the image was built to fail its health check (for the kit's
	// end-to-end tests).
	BreakReadyz string
	// BreakJS, when non-empty, makes the UI's app.js throw an Error with
	// this message before anything else: an image every HTTP check passes
	// and only a browser catches.
	BreakJS string
}

// App is one running service.
type App struct {
	cfg   config.Config
	log   *slog.Logger
	opts  Options
	store *store.Store  // nil only in unit tests
	rdb   *redis.Client // nil only in unit tests
	// checks run on /readyz, by name.
	checks map[string]Pinger
	// draining is set on SIGTERM so /readyz fails while in-flight requests end.
	draining atomic.Bool
	// now is the clock (tests pin it).
	now func() time.Time
}

// New builds an App over an open pool and Redis client (either may be nil in
// tests that do not reach them).
func New(cfg config.Config, log *slog.Logger, pool *pgxpool.Pool, rdb *redis.Client, opts Options) *App {
	a := &App{cfg: cfg, log: log, opts: opts, rdb: rdb, now: time.Now, checks: map[string]Pinger{}}
	if pool != nil {
		a.store = store.New(pool)
		a.checks["postgres"] = func(ctx context.Context) error { return pool.Ping(ctx) }
	}
	if rdb != nil {
		a.checks["redis"] = func(ctx context.Context) error { return rdb.Ping(ctx).Err() }
	}
	return a
}

// SetChecks replaces the readiness checks (tests).
func (a *App) SetChecks(checks map[string]Pinger) { a.checks = checks }

// Handler is the role's HTTP handler, wrapped in request logging.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /readyz", a.readyz)
	switch a.cfg.Service {
	case "gateway":
		a.routeGateway(mux)
	case "inventory":
		mux.HandleFunc("GET /items", a.listItems)
		mux.HandleFunc("GET /items/{asset_tag}", a.getItem)
		mux.HandleFunc("GET /item-types", a.itemTypes)
	case "location":
		mux.HandleFunc("GET /locations", a.locations)
		mux.HandleFunc("GET /movements", a.movements)
	case "user":
		mux.HandleFunc("GET /roles", a.roles)
	case "reporting":
		mux.HandleFunc("GET /summary", a.summary)
	case "ui":
		a.routeUI(mux)
	}
	// Anything else: a JSON 404 rather than the mux's text/plain one.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no route %s %s on the %s service", r.Method, r.URL.Path, a.cfg.Service))
	})
	return a.logRequests(mux)
}

// Health is the body of /healthz and /readyz.
type Health struct {
	Status  string            `json:"status"` // ok | ready | unready
	Service string            `json:"service"`
	Version string            `json:"version"`
	Env     string            `json:"env"`
	Example bool              `json:"example"` // always true: this is the kit's example build
	Checks  map[string]string `json:"checks,omitempty"`
	Reason  string            `json:"reason,omitempty"`
}

func (a *App) health(status string) Health {
	return Health{Status: status, Service: a.cfg.Service, Version: a.cfg.Version, Env: a.cfg.Env, Example: true}
}

// healthz is liveness: the process serves HTTP. It checks nothing else, so a
// database outage never makes an orchestrator restart every task.
func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.health("ok"))
}

// readyz is readiness: PostgreSQL and Redis answer within ReadyTimeout.
func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	h, code := a.Ready(r.Context())
	writeJSON(w, code, h)
}

// Ready runs the readiness checks concurrently and returns the body and the
// status code /readyz answers with.
func (a *App) Ready(ctx context.Context) (Health, int) {
	h := a.health("ready")
	if a.opts.BreakReadyz != "" {
		h.Status, h.Reason = "unready", a.opts.BreakReadyz
		return h, http.StatusServiceUnavailable
	}
	if a.draining.Load() {
		h.Status, h.Reason = "unready", "shutting down"
		return h, http.StatusServiceUnavailable
	}
	// Each check gets ReadyTimeout; the wait for them is bounded too, so a
	// driver that ignores its context cannot hold the probe.
	cctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(a.checks))
	for name, check := range a.checks {
		go func() {
			err := check(cctx)
			if err == nil && cctx.Err() != nil {
				err = cctx.Err() // answered, but too late
			}
			results <- result{name, err}
		}()
	}
	h.Checks = make(map[string]string, len(a.checks))
	for name := range a.checks {
		h.Checks[name] = fmt.Sprintf("no answer within %s", ReadyTimeout)
	}
	var failed []string
	grace := time.NewTimer(ReadyTimeout + 500*time.Millisecond)
	defer grace.Stop()
collect:
	for range a.checks {
		select {
		case r := <-results:
			if r.err != nil {
				h.Checks[r.name] = r.err.Error()
			} else {
				h.Checks[r.name] = "ok"
			}
		case <-grace.C:
			break collect // the rest keep their "no answer" entry
		}
	}
	for name, v := range h.Checks {
		if v != "ok" {
			failed = append(failed, name)
		}
	}
	if len(failed) > 0 {
		h.Status = "unready"
		h.Reason = fmt.Sprintf("%d check(s) failed: %s", len(failed), joinSorted(failed))
		return h, http.StatusServiceUnavailable
	}
	return h, http.StatusOK
}

// Serve listens on cfg.Port and serves until ctx is cancelled (SIGTERM), then
// fails readiness, stops accepting connections and drains in-flight requests
// within cfg.ShutdownTimeout.
func (a *App) Serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(a.cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen on port %d: %w", a.cfg.Port, err)
	}
	return a.ServeListener(ctx, ln)
}

// ServeListener is Serve on an open listener (tests use port 0).
func (a *App) ServeListener(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.log.Info("serving", "addr", ln.Addr().String(), "example_build", true)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.draining.Store(true)
	a.log.Info("shutting down: draining in-flight requests", "timeout", a.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: requests still running after %s: %w", a.cfg.ShutdownTimeout, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	a.log.Info("stopped cleanly")
	return nil
}

// statusRecorder remembers the status code for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer (flushes
// through the reverse proxy).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests writes one JSON line per request. Probes of the service's own
// health endpoints log at debug level so they do not drown the rest.
func (a *App) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		level := slog.LevelInfo
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			level = slog.LevelDebug
		}
		if rec.status >= 500 {
			level = slog.LevelWarn
		}
		a.log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "duration_ms", float64(time.Since(start).Microseconds())/1000)
	})
}

// Error is the body of every error response.
type Error struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, Error{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/equiptrack/release-kit/magefiles/internal/exampleapp/config"
	"github.com/equiptrack/release-kit/magefiles/internal/exampleapp/store"
	"github.com/equiptrack/release-kit/seeddata"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testConfig(service string) config.Config {
	return config.Config{Service: service, Env: "test", Version: "v9.8.7", Port: 0,
		ShutdownTimeout: 5 * time.Second, Upstreams: map[string]*url.URL{}}
}

// unitApp is an App with no database or Redis: enough for everything that
// answers before reaching them.
func unitApp(service string) (*App, *syncBuffer) {
	logs := &syncBuffer{}
	return New(testConfig(service), slog.New(slog.NewJSONHandler(logs, nil)), nil, nil, Options{}), logs
}

// tb is what both *testing.T and *rapid.T offer.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

func get(t tb, h http.Handler, target string) (int, http.Header, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec.Code, rec.Header(), rec.Body.Bytes()
}

func decode[T any](t tb, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func TestCacheKeyIsTheSeedersContract(t *testing.T) {
	if SummaryCacheKey != seeddata.ReportingSummaryKey {
		t.Errorf("reporting caches at %q, the seeder invalidates %q", SummaryCacheKey, seeddata.ReportingSummaryKey)
	}
	if !strings.HasPrefix(SummaryCacheKey, "equiptrack:cache:") {
		t.Errorf("%q is outside the prefix the seeder invalidates", SummaryCacheKey)
	}
}

func TestHealthz(t *testing.T) {
	for _, svc := range config.Services {
		a, _ := unitApp(svc)
		code, hdr, body := get(t, a.Handler(), "/healthz")
		if code != 200 || hdr.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: /healthz %d %q", svc, code, hdr.Get("Content-Type"))
		}
		h := decode[Health](t, body)
		if h.Status != "ok" || h.Service != svc || h.Version != "v9.8.7" || h.Env != "test" || !h.Example || h.Checks != nil || h.Reason != "" {
			t.Errorf("%s: /healthz = %+v", svc, h)
		}
	}
}

func TestReadiness(t *testing.T) {
	ok := func(context.Context) error { return nil }
	down := func(context.Context) error { return errors.New("connection refused") }
	hang := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	deaf := func(context.Context) error { time.Sleep(ReadyTimeout + 2*time.Second); return nil } // ignores ctx
	cases := []struct {
		name       string
		checks     map[string]Pinger
		breakMsg   string
		draining   bool
		wantCode   int
		wantReason string
		wantChecks map[string]string
	}{
		{"both answer", map[string]Pinger{"postgres": ok, "redis": ok}, "", false, 200, "",
			map[string]string{"postgres": "ok", "redis": "ok"}},
		{"redis down", map[string]Pinger{"postgres": ok, "redis": down}, "", false, 503, "1 check(s) failed: redis",
			map[string]string{"postgres": "ok", "redis": "connection refused"}},
		{"both down", map[string]Pinger{"postgres": down, "redis": down}, "", false, 503, "2 check(s) failed: postgres, redis",
			map[string]string{"postgres": "connection refused", "redis": "connection refused"}},
		{"postgres hangs", map[string]Pinger{"postgres": hang, "redis": ok}, "", false, 503, "1 check(s) failed: postgres",
			// Either the check's own deadline error or, on a starved machine, the bounded wait's.
			map[string]string{"postgres": "context deadline exceeded|no answer within 2s", "redis": "ok"}},
		{"redis ignores its deadline", map[string]Pinger{"postgres": ok, "redis": deaf}, "", false, 503, "1 check(s) failed: redis",
			map[string]string{"postgres": "ok", "redis": "no answer within 2s"}},
		{"built to fail", map[string]Pinger{"postgres": ok, "redis": ok}, "built to fail (breakMode=readyz)", false, 503, "built to fail (breakMode=readyz)", nil},
		{"draining", map[string]Pinger{"postgres": ok, "redis": ok}, "", true, 503, "shutting down", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a, _ := unitApp("location")
			a.opts.BreakReadyz = c.breakMsg
			a.SetChecks(c.checks)
			a.draining.Store(c.draining)
			start := time.Now()
			code, _, body := get(t, a.Handler(), "/readyz")
			if took := time.Since(start); took > ReadyTimeout+2*time.Second {
				t.Errorf("readiness took %s, over its %s timeout", took, ReadyTimeout)
			}
			h := decode[Health](t, body)
			if code != c.wantCode || h.Reason != c.wantReason || h.Service != "location" || h.Version != "v9.8.7" {
				t.Errorf("got %d %+v, want %d reason %q", code, h, c.wantCode, c.wantReason)
			}
			if len(h.Checks) != len(c.wantChecks) {
				t.Errorf("checks %v, want %v", h.Checks, c.wantChecks)
			}
			for k, v := range c.wantChecks {
				if !slices.Contains(strings.Split(v, "|"), h.Checks[k]) {
					t.Errorf("check %s = %q, want %q", k, h.Checks[k], v)
				}
			}
		})
	}
}

// Each role serves its own routes and nothing of the others'.
func TestRoutesPerRole(t *testing.T) {
	foreign := map[string][]string{
		"gateway":   {"/items", "/locations", "/roles", "/summary", "/static/app.js"},
		"inventory": {"/locations", "/movements?item=x", "/roles", "/summary", "/api/healthz", "/static/app.js"},
		"location":  {"/items", "/item-types", "/roles", "/summary", "/"},
		"user":      {"/items", "/locations", "/summary", "/api/readyz"},
		"reporting": {"/items", "/locations", "/roles", "/static/app.css"},
		"ui":        {"/items", "/locations", "/roles", "/summary", "/api/inventory/items", "/static/other.js", "/index.html"},
	}
	for svc, paths := range foreign {
		a, _ := unitApp(svc)
		h := a.Handler()
		for _, p := range paths {
			code, hdr, body := get(t, h, p)
			if code != 404 || hdr.Get("Content-Type") != "application/json" {
				t.Errorf("%s %s: %d %s, want a JSON 404", svc, p, code, body)
				continue
			}
			if e := decode[Error](t, body); !strings.Contains(e.Error, "no route GET") {
				t.Errorf("%s %s: error %q", svc, p, e.Error)
			}
		}
	}
}

func TestUIPageAndAssets(t *testing.T) {
	a, _ := unitApp("ui")
	h := a.Handler()
	code, hdr, body := get(t, h, "/")
	page := string(body)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("/: %d %s", code, hdr.Get("Content-Type"))
	}
	for _, want := range []string{"EXAMPLE build of equiptrack", `<span id="version">v9.8.7</span>`, `<span id="env">test</span>`,
		`<script src="/static/app.js" defer></script>`, `<link rel="stylesheet" href="/static/app.css">`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	code, hdr, body = get(t, h, "/static/app.js")
	if code != 200 || !strings.Contains(hdr.Get("Content-Type"), "javascript") {
		t.Errorf("app.js: %d %s", code, hdr.Get("Content-Type"))
	}
	for _, want := range []string{`"/api/reporting/summary"`, `"/api/inventory/items?limit=200"`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("app.js does not fetch %s", want)
		}
	}
	code, hdr, _ = get(t, h, "/static/app.css")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/css") {
		t.Errorf("app.css: %d %s", code, hdr.Get("Content-Type"))
	}
}

func TestUIBuiltToFailInTheBrowser(t *testing.T) {
	a, _ := unitApp("ui")
	a.opts.BreakJS = "built to fail in the browser (breakMode=js)"
	h := a.Handler()
	code, hdr, body := get(t, h, "/static/app.js")
	if code != 200 || !strings.Contains(hdr.Get("Content-Type"), "javascript") {
		t.Fatalf("app.js: %d %s", code, hdr.Get("Content-Type"))
	}
	if want := "throw new Error(\"built to fail in the browser (breakMode=js)\");\n// The equiptrack EXAMPLE build"; !strings.HasPrefix(string(body), want) {
		t.Errorf("app.js starts %q, want %q", body[:min(len(body), 80)], want)
	}
	// Every HTTP check still passes: the page itself is unchanged.
	if code, _, _ := get(t, h, "/"); code != 200 {
		t.Errorf("/: %d", code)
	}
}

func TestSplitAPIPath(t *testing.T) {
	cases := []struct {
		in, svc, rest string
		ok            bool
	}{
		{"/api/inventory/items", "inventory", "/items", true},
		{"/api/inventory/items/ET-STW-001", "inventory", "/items/ET-STW-001", true},
		{"/api/inventory", "inventory", "/", true},
		{"/api/inventory/", "inventory", "/", true},
		{"/api/location/a%2Fb/c", "location", "/a%2Fb/c", true},
		{"/api/reporting/readyz", "reporting", "/readyz", true},
		{"/api/", "", "", false},
		{"/api", "", "", false},
		{"/items", "", "", false},
		{"/apix/inventory/items", "", "", false},
	}
	for _, c := range cases {
		svc, rest, ok := SplitAPIPath(c.in)
		if svc != c.svc || rest != c.rest || ok != c.ok {
			t.Errorf("SplitAPIPath(%q) = %q, %q, %v; want %q, %q, %v", c.in, svc, rest, ok, c.svc, c.rest, c.ok)
		}
	}
}

// echo is an upstream that reports what it received.
type echo struct {
	Name, Path, Query, Host, ForwardedFor string
}

func echoServer(t *testing.T, name string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusTeapot, echo{Name: name, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			Host: r.Host, ForwardedFor: r.Header.Get("X-Forwarded-For")})
	}))
	t.Cleanup(s.Close)
	return s
}

func gatewayTo(t *testing.T, upstreams map[string]string) (http.Handler, *syncBuffer) {
	a, logs := unitApp("gateway")
	for name, raw := range upstreams {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		a.cfg.Upstreams[name] = u
	}
	return a.Handler(), logs
}

// For any backend and any path under it, the gateway sends exactly /<rest>
// (escapes intact) and the query to that backend, and nothing to the others.
func TestGatewayRewritesPathsProperty(t *testing.T) {
	ups := map[string]string{}
	for _, b := range config.Backends {
		ups[b] = echoServer(t, b).URL
	}
	gw, _ := gatewayTo(t, ups)
	rapid.Check(t, func(t *rapid.T) {
		svc := rapid.SampledFrom(config.Backends).Draw(t, "service")
		raw := rapid.SliceOfN(rapid.StringMatching(`[A-Za-z0-9 ._~%/?#&=+:@-]{1,10}`), 0, 4).Draw(t, "segments")
		var segs []string
		for _, s := range raw {
			if s == "." || s == ".." {
				continue // the mux cleans dot segments with a redirect, as it should
			}
			segs = append(segs, url.PathEscape(s))
		}
		rest := "/" + strings.Join(segs, "/")
		if rapid.Bool().Draw(t, "trailing slash") && len(segs) > 0 {
			rest += "/"
		}
		q := url.Values{}
		for i, v := range rapid.SliceOfN(rapid.String(), 0, 3).Draw(t, "query") {
			q.Add(string(rune('a'+i)), v)
		}
		target := "/api/" + svc + rest
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
		code, _, body := get(t, gw, target)
		if code != http.StatusTeapot {
			t.Fatalf("%s: status %d %s", target, code, body)
		}
		got := decode[echo](t, body)
		wantHost := strings.TrimPrefix(ups[svc], "http://")
		if got.Name != svc || got.Path != rest || got.Query != q.Encode() || got.Host != wantHost {
			t.Fatalf("%s reached %+v; want %s %q %q host %s", target, got, svc, rest, q.Encode(), wantHost)
		}
	})
}

func TestGatewayOwnRoutesAndErrors(t *testing.T) {
	// A port nothing listens on: the upstream refuses.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	gw, logs := gatewayTo(t, map[string]string{"inventory": echoServer(t, "inventory").URL, "location": closed})

	code, _, body := get(t, gw, "/api/healthz")
	if h := decode[Health](t, body); code != 200 || h.Service != "gateway" {
		t.Errorf("/api/healthz: %d %+v", code, h)
	}
	for _, p := range []string{"/api/billing/x", "/api/", "/api/gateway/healthz", "/api/ui/"} {
		code, _, body := get(t, gw, p)
		if e := decode[Error](t, body); code != 404 || !strings.Contains(e.Error, "behind the gateway (known: inventory, location)") {
			t.Errorf("%s: %d %q", p, code, e.Error)
		}
	}
	code, _, body = get(t, gw, "/api/location/locations")
	if e := decode[Error](t, body); code != 502 || e.Error != "location service unavailable" {
		t.Errorf("refusing upstream: %d %q", code, e.Error)
	}
	if !strings.Contains(logs.String(), `"msg":"upstream failed","upstream":"location"`) {
		t.Errorf("no upstream failure logged: %s", logs.String())
	}
}

func TestParseItemQuery(t *testing.T) {
	good := []struct {
		q    string
		want store.ItemFilter
	}{
		{"", store.ItemFilter{Limit: 50}},
		{"limit=1&offset=0", store.ItemFilter{Limit: 1}},
		{"limit=200&offset=1000000", store.ItemFilter{Limit: 200, Offset: 1000000}},
		{"type=STW&location=HOSP-A&status=active", store.ItemFilter{Type: "STW", Location: "HOSP-A", Status: "active", Limit: 50}},
		{"type=Sports+Tower&status=retired&limit=007", store.ItemFilter{Type: "Sports Tower", Status: "retired", Limit: 7}},
	}
	for _, c := range good {
		q, _ := url.ParseQuery(c.q)
		got, err := ParseItemQuery(q)
		if err != nil || got != c.want {
			t.Errorf("%q: %+v, %v; want %+v", c.q, got, err, c.want)
		}
	}
	bad := []struct{ q, want string }{
		{"limit=0", `limit=0: want an integer in [1, 200]`},
		{"limit=201", `limit=201: want an integer in [1, 200]`},
		{"limit=-1", `limit="-1": want an integer in [1, 200]`},
		{"limit=%2B5", `limit="+5": want an integer in [1, 200]`},
		{"limit=+5", `limit=" 5": want an integer in [1, 200]`},
		{"limit=", `limit="": want an integer in [1, 200]`},
		{"limit=1e3", `limit="1e3"`},
		{"limit=99999999999999999999", `limit="99999999999999999999"`},
		{"offset=1000001", `offset=1000001: want an integer in [0, 1000000]`},
		{"offset=abc", `offset="abc"`},
		{"status=lost", `status="lost": want active or retired`},
		{"status=", `status="": want active or retired`},
		{"type=", `type="": want 1 to 64 printable characters`},
		{"location=" + strings.Repeat("x", 65), `location="xxxx`},
		{"type=a%00b", `type="a\x00b"`},
		{"sort=asc", `unknown query parameter "sort" (allowed: type, location, status, limit, offset)`},
		{"limit=5&limit=6", `query parameter "limit" given 2 times`},
	}
	a, _ := unitApp("inventory")
	h := a.Handler()
	for _, c := range bad {
		q, _ := url.ParseQuery(c.q)
		if _, err := ParseItemQuery(q); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.q, err, c.want)
		}
		// And through the handler: a 400 before any database access (there
		// is no database here: reaching it would panic).
		code, _, body := get(t, h, "/items?"+c.q)
		if code != 400 || !strings.Contains(decode[Error](t, body).Error, c.want) {
			t.Errorf("GET /items?%s: %d %s", c.q, code, body)
		}
	}
}

// Any limit/offset inside the bounds parses to itself; any outside, and any
// non-numeral, is a 400 naming the parameter.
func TestItemQueryBoundsProperty(t *testing.T) {
	a, _ := unitApp("inventory")
	h := a.Handler()
	rapid.Check(t, func(t *rapid.T) {
		limit := rapid.IntRange(-1000, 1000).Draw(t, "limit")
		offset := rapid.IntRange(-5, MaxOffset+5).Draw(t, "offset")
		q := url.Values{"limit": {itoa(limit)}, "offset": {itoa(offset)}}
		f, err := ParseItemQuery(q)
		valid := limit >= 1 && limit <= MaxLimit && offset >= 0 && offset <= MaxOffset
		if valid != (err == nil) {
			t.Fatalf("limit %d offset %d: err %v", limit, offset, err)
		}
		if valid && (f.Limit != limit || f.Offset != offset) {
			t.Fatalf("limit %d offset %d parsed as %+v", limit, offset, f)
		}
		if !valid {
			code, _, _ := get(t, h, "/items?"+q.Encode())
			if code != 400 {
				t.Fatalf("limit %d offset %d: status %d, want 400", limit, offset, code)
			}
		}
		junk := rapid.StringMatching(`[0-9]*[^0-9][0-9a-z .+-]*`).Draw(t, "junk")
		param := rapid.SampledFrom([]string{"limit", "offset"}).Draw(t, "param")
		code, _, body := get(t, h, "/items?"+url.Values{param: {junk}}.Encode())
		if code != 400 || !strings.HasPrefix(decode[Error](t, body).Error, param+"=") {
			t.Fatalf("%s=%q: %d %s", param, junk, code, body)
		}
	})
}

func TestMovementsQueryValidation(t *testing.T) {
	a, _ := unitApp("location")
	h := a.Handler()
	for q, want := range map[string]string{
		"":               "give exactly one item=<asset_tag>",
		"item=a&item=b":  "give exactly one item=<asset_tag>",
		"item=":          `item="": want 1 to 64 printable characters`,
		"item=x&limit=3": `unknown query parameter "limit" (allowed: item)`,
		"tag=ET-STW-001": `unknown query parameter "tag" (allowed: item)`,
		"item=a%0Ab":     `item="a\nb"`,
	} {
		code, _, body := get(t, h, "/movements?"+q)
		if code != 400 || !strings.Contains(decode[Error](t, body).Error, want) {
			t.Errorf("?%s: %d %s, want 400 %q", q, code, body, want)
		}
	}
}

// SIGTERM (ctx cancelled) while a request is in flight: readiness fails at
// once, the in-flight request still completes, and Serve returns cleanly.
func TestGracefulShutdownDrains(t *testing.T) {
	a, logs := unitApp("user")
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	a.SetChecks(map[string]Pinger{"postgres": func(ctx context.Context) error {
		entered <- struct{}{}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.ServeListener(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	type result struct {
		code int
		err  error
	}
	inflight := make(chan result, 1)
	go func() {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			inflight <- result{err: err}
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		inflight <- result{code: resp.StatusCode}
	}()
	<-entered // the request is inside the handler
	cancel()  // SIGTERM
	deadline := time.Now().Add(3 * time.Second)
	for !a.draining.Load() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if h, code := a.Ready(context.Background()); code != 503 || h.Reason != "shutting down" {
		t.Errorf("readiness while draining: %d %+v", code, h)
	}
	select {
	case err := <-done:
		t.Fatalf("Serve returned (%v) with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if r := <-inflight; r.err != nil || r.code != 200 {
		t.Errorf("in-flight request: %d %v, want it to complete with 200", r.code, r.err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the drain")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still accepting connections after shutdown")
	}
	if !strings.Contains(logs.String(), `"msg":"stopped cleanly"`) {
		t.Errorf("logs: %s", logs.String())
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

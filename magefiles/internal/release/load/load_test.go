package load

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// server answers /api/fast at once, /api/slow after 700 ms, /api/broken
// with 500 and / with a page, and counts the requests per path.
func server(t *testing.T) (*httptest.Server, func(string) int) {
	t.Helper()
	var mu sync.Mutex
	hits := map[string]int{}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		switch r.URL.Path {
		case "/api/fast":
			w.Write([]byte(`{"ok":true}`))
		case "/api/slow":
			time.Sleep(700 * time.Millisecond)
			w.Write([]byte(`{"ok":true}`))
		case "/api/broken":
			http.Error(w, "broken", http.StatusInternalServerError)
		case "/":
			w.Write([]byte("<html></html>"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s, func(p string) int { mu.Lock(); defer mu.Unlock(); return hits[p] }
}

func TestFastEnvironmentPasses(t *testing.T) {
	s, hits := server(t)
	rep, err := Run(context.Background(), Options{BaseURL: s.URL, Users: 5, Duration: 2 * time.Second, Mix: []Request{
		{Name: "items", Path: "/api/fast", Weight: 3, API: true},
		{Name: "page", Path: "/", Weight: 1},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Pass || !strings.HasPrefix(rep.Verdict, "load: PASS: 5 users for 2s, API p95 ") {
		t.Fatalf("verdict = %q, want a pass", rep.Verdict)
	}
	if rep.Overall.Requests < 50 || rep.Overall.Errors != 0 {
		t.Errorf("overall: %d requests, %d errors; want >= 50 and 0", rep.Overall.Requests, rep.Overall.Errors)
	}
	// The weights hold: 3 API calls to every page load, within 10%.
	api, page := hits("/api/fast"), hits("/")
	if ratio := float64(api) / float64(page); ratio < 2.7 || ratio > 3.3 {
		t.Errorf("api:page = %d:%d (%.2f), want about 3", api, page, ratio)
	}
	if got := rep.Endpoints[0].Requests + rep.Endpoints[1].Requests; got != rep.Overall.Requests {
		t.Errorf("endpoint requests sum to %d, overall says %d", got, rep.Overall.Requests)
	}
	if rep.API.Requests != rep.Endpoints[0].Requests {
		t.Errorf("API line counts %d requests, the API endpoint %d", rep.API.Requests, rep.Endpoints[0].Requests)
	}
}

func TestSlowAPIFailsTheBudget(t *testing.T) {
	s, _ := server(t)
	rep, err := Run(context.Background(), Options{BaseURL: s.URL, Users: 4, Duration: 2 * time.Second, Mix: []Request{
		{Name: "slow", Path: "/api/slow", Weight: 1, API: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	// Every answer takes at least the server's 700 ms; how much longer
	// depends on the machine (865 ms in a cold run beside two busy loops).
	m := regexp.MustCompile(`^load: FAIL: API p95 (\d+)ms over the 500ms budget$`).FindStringSubmatch(rep.Verdict)
	if rep.Pass || m == nil {
		t.Fatalf("verdict = %q, want the API p95 over budget", rep.Verdict)
	}
	if p95, _ := strconv.Atoi(m[1]); p95 < 700 || rep.API.P95 < 700*time.Millisecond {
		t.Errorf("API p95 %s (verdict %q), want at least the server's 700ms", rep.API.P95, rep.Verdict)
	}
}

func TestErrorsFailAndAreQuoted(t *testing.T) {
	s, _ := server(t)
	rep, err := Run(context.Background(), Options{BaseURL: s.URL, Users: 2, Duration: time.Second, Mix: []Request{
		{Name: "fast", Path: "/api/fast", Weight: 1, API: true},
		{Name: "broken", Path: "/api/broken", Weight: 1, API: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pass || !strings.Contains(rep.Verdict, " errors in ") {
		t.Fatalf("verdict = %q, want errors counted", rep.Verdict)
	}
	if b := rep.Endpoints[1]; b.Errors != b.Requests || b.ErrorRate != 1 || len(b.FirstErrors) != 1 || b.FirstErrors[0] != "500 Internal Server Error" {
		t.Errorf("broken endpoint: %+v", b)
	}
	if f := rep.Endpoints[0]; f.Errors != 0 {
		t.Errorf("fast endpoint counted %d errors", f.Errors)
	}
	var text, js bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(text.String()), "\n")
	if lines[len(lines)-1] != rep.Verdict || !strings.Contains(text.String(), "  broken: 500 Internal Server Error") {
		t.Errorf("text report:\n%s", text.String())
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Pass || back.Overall.Requests != rep.Overall.Requests {
		t.Errorf("JSON report does not round-trip: %v", err)
	}
}

func TestOnlyTheEnvironmentsURLIsLoaded(t *testing.T) {
	mix := []Request{{Name: "x", Path: "/api/fast", Weight: 1}}
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{BaseURL: "https://other.example/path", Mix: mix}, `load: base URL "https://other.example/path": want the environment's root URL, without path, query or credentials`},
		{Options{BaseURL: "ftp://x", Mix: mix}, `load: base URL "ftp://x": want http(s)://host[:port]`},
		{Options{BaseURL: "https://user:pw@x.example", Mix: mix}, `load: base URL "https://user:xxxxx@x.example": want the environment's root URL, without path, query or credentials`},
		{Options{BaseURL: "https://x.example", Mix: []Request{{Name: "evil", Path: "//evil.example/", Weight: 1}}}, `load: request "evil": path "//evil.example/": want a path under the environment's URL (starting with one /)`},
		{Options{BaseURL: "https://x.example", Mix: []Request{{Name: "evil", Path: "http://evil.example/", Weight: 1}}}, `load: request "evil": path "http://evil.example/": want a path under the environment's URL (starting with one /)`},
		{Options{BaseURL: "https://x.example", Mix: []Request{{Name: "w", Path: "/", Weight: 0}}}, `load: request "w": weight 0: want >= 1`},
		{Options{BaseURL: "https://x.example", Mix: mix, Users: 500}, `load: users 500: want 1-200`},
		{Options{BaseURL: "https://x.example", Mix: mix, Duration: time.Hour}, `load: duration 1h0m0s: want 1s-30m0s`},
		{Options{BaseURL: "https://x.example"}, `load: the request mix is empty`},
	} {
		if err := tc.o.Validate(); err == nil || err.Error() != tc.want {
			t.Errorf("Validate(%+v) = %v, want %q", tc.o, err, tc.want)
		}
	}
}

func TestCancelledRunSaysSo(t *testing.T) {
	s, _ := server(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := Run(ctx, Options{BaseURL: s.URL, Users: 2, Duration: 10 * time.Second, Mix: []Request{{Name: "f", Path: "/api/fast", Weight: 1}}})
	if err == nil || !strings.HasPrefix(err.Error(), "load: stopped before the end: context deadline exceeded") {
		t.Fatalf("err = %v", err)
	}
}

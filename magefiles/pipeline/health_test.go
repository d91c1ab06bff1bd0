package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// fakeBrowser opens the UI the way the real checker does, as far as the
// pipeline can tell: it logs the URL it was given in the world's event log,
// and the page it sees is the one of the version ui runs — a version listed
// in throws has a script that throws. Every check keeps a "screenshot" in
// shots, named by the ui version.
type fakeBrowser struct {
	w      *world
	throws map[string]bool
	timing UICheck
}

func (b fakeBrowser) CheckUI(_ context.Context, url string) (UICheck, error) {
	b.w.mu.Lock()
	v := b.w.running["ui"].Revision.Version
	b.w.mu.Unlock()
	b.w.log("browser %s (ui %s)", url, v)
	ui := b.timing
	ui.Screenshot = "/state/shots/ui-" + v + ".png"
	if b.throws[v] {
		ui.Ready = 0
		return ui, errors.New("JavaScript error on the page: Uncaught Error: built to fail")
	}
	return ui, nil
}

var fastPage = UICheck{DOMContentLoaded: 120 * time.Millisecond, Load: 180 * time.Millisecond, Ready: 240 * time.Millisecond}

func withBrowser(w *world, b fakeBrowser) *Pipeline {
	p := newPipeline(w)
	b.w = w
	p.HealthCheck.Browser = b
	return p
}

func TestHealthOpensTheUIInTheBrowserAndRecordsWhatItSaw(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	p := withBrowser(w, fakeBrowser{timing: fastPage})
	var lines []string
	p.Logf = func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }
	if _, err := p.Release(context.Background(), "v1.1.0", ReleaseOptions{}); err != nil {
		t.Fatal(err)
	}
	eq(t, "events", w.Events(), []string{
		"test",
		"build v1.1.0 gateway,inventory,ui,seeder",
		"push gateway:v1.1.0", "push inventory:v1.1.0", "push ui:v1.1.0", "push seeder:v1.1.0",
		"prepare gateway,inventory,ui v1.1.0",
		"task migrate td/inventory:2 /app migrate",
		"roll gateway v1.1.0, inventory v1.1.0, ui v1.1.0",
		"browser http://entry.test/ (ui v1.1.0)",
	})
	eq(t, "recorded UI", w.record.Last.UI, &UICheck{
		DOMContentLoaded: 120 * time.Millisecond, Load: 180 * time.Millisecond, Ready: 240 * time.Millisecond,
		Screenshot: "/state/shots/ui-v1.1.0.png",
	})
	want := "    UI page / in the browser: DOMContentLoaded 120ms, load 180ms, ready 240ms (budget 3s); screenshot /state/shots/ui-v1.1.0.png"
	if !contains(lines, want) {
		t.Errorf("no line %q in:\n%s", want, strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		if strings.Contains(l, "document and") {
			t.Errorf("the page was fetched as well as opened in the browser: %q", l)
		}
	}
}

func TestJavaScriptErrorFailsHealthAndRestores(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	p := withBrowser(w, fakeBrowser{timing: fastPage, throws: map[string]bool{"v2.0.0": true}})
	rep, err := p.Release(context.Background(), "v2.0.0", ReleaseOptions{Seed: true})
	want := "release failed at health: UI page / in the browser: JavaScript error on the page: Uncaught Error: built to fail (DOMContentLoaded 120ms, load 180ms, ready 0s; screenshot /state/shots/ui-v2.0.0.png)"
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n got %v\nwant %s", err, want)
	}
	eq(t, "events", w.Events(), with(upTo2, "browser http://entry.test/ (ui v2.0.0)", restore1))
	eq(t, "running", versions(w), allOn("v1.0.0"))
	eq(t, "rolled back", rep.RolledBack, true)
	eq(t, "record version", w.record.Version, "v1.0.0")
	eq(t, "failed step", w.record.Last.FailedStep, "health")
	eq(t, "recorded UI", w.record.Last.UI, &UICheck{
		DOMContentLoaded: 120 * time.Millisecond, Load: 180 * time.Millisecond,
		Screenshot: "/state/shots/ui-v2.0.0.png",
	})
}

func TestPageOverBudgetInTheBrowserFailsHealth(t *testing.T) {
	cases := []struct {
		name   string
		timing UICheck
		want   string
	}{
		{"data late", UICheck{DOMContentLoaded: 400 * time.Millisecond, Load: 900 * time.Millisecond, Ready: 3200 * time.Millisecond},
			"health failed: UI page / in the browser: loaded and ready in 3.2s, over the 3s budget (DOMContentLoaded 400ms, load 900ms, ready 3.2s; screenshot /state/shots/ui-v1.0.0.png)"},
		{"load event late", UICheck{DOMContentLoaded: 400 * time.Millisecond, Load: 3100 * time.Millisecond, Ready: 700 * time.Millisecond},
			"health failed: UI page / in the browser: loaded and ready in 3.1s, over the 3s budget (DOMContentLoaded 400ms, load 3.1s, ready 700ms; screenshot /state/shots/ui-v1.0.0.png)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			releaseA(t, w)
			err := withBrowser(w, fakeBrowser{timing: c.timing}).Health(context.Background())
			if err == nil || err.Error() != c.want {
				t.Fatalf("error:\n got %v\nwant %s", err, c.want)
			}
			eq(t, "events", w.Events(), []string{"browser http://entry.test/ (ui v1.0.0)"})
		})
	}
	// Just within the budget passes.
	w := newWorld()
	releaseA(t, w)
	if err := withBrowser(w, fakeBrowser{timing: UICheck{Load: 3 * time.Second, Ready: 3 * time.Second}}).Health(context.Background()); err != nil {
		t.Errorf("3s exactly: %v", err)
	}
}

func TestWithoutABrowserThePageIsFetched(t *testing.T) {
	w := newWorld()
	releaseA(t, w)
	var lines []string
	p := newPipeline(w)
	p.Logf = func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }
	if _, err := p.Release(context.Background(), "v1.1.0", ReleaseOptions{}); err != nil {
		t.Fatal(err)
	}
	if w.record.Last.UI != nil {
		t.Errorf("a UI check was recorded without a browser: %+v", *w.record.Last.UI)
	}
	found := false
	for _, l := range lines {
		found = found || strings.HasPrefix(l, "    UI page / (fetched, no browser): document and 1 assets in ")
	}
	if !found {
		t.Errorf("no page-fetch line in:\n%s", strings.Join(lines, "\n"))
	}
}

// stuckProber answers each readiness path once with 503, then hangs until
// the caller gives up: the request in flight at the deadline.
type stuckProber struct{ answered map[string]bool }

func (stuckProber) URL() string { return "http://entry.test" }

func (s stuckProber) Get(ctx context.Context, path string) (Response, error) {
	if !s.answered[path] {
		s.answered[path] = true
		return Response{Status: 503}, nil
	}
	<-ctx.Done()
	return Response{}, ctx.Err()
}

// The readiness error names the last answer a service gave, not the
// request the deadline cut off (under load the deadline nearly always
// falls on a request in flight).
func TestNotReadyNamesTheLastAnswerNotTheDeadline(t *testing.T) {
	p := &Pipeline{Prober: stuckProber{answered: map[string]bool{}}, Logf: func(string, ...any) {}}
	err := p.waitReady(context.Background(), HealthConfig{
		Ready:        []ReadyCheck{{"inventory", "/api/inventory/readyz"}},
		ReadyTimeout: 50 * time.Millisecond,
		PollInterval: time.Millisecond,
	})
	if err == nil || !strings.Contains(err.Error(), "inventory (/api/inventory/readyz → 503)") {
		t.Fatalf("err = %v, want the 503 the service answered", err)
	}
}

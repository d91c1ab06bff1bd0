package pipeline

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// ReadyCheck is one service's readiness path through the public entry.
type ReadyCheck struct {
	Service string
	Path    string
}

// HealthConfig is what the Health step checks, all through the public entry.
// Zero budgets and counts take the defaults in brackets.
type HealthConfig struct {
	// Ready lists every service's readiness path; each must answer 200
	// within ReadyTimeout [60s], polled every PollInterval [1s].
	Ready        []ReadyCheck
	ReadyTimeout time.Duration
	PollInterval time.Duration
	// SmokePath is fetched once and must answer SmokeStatus [200].
	SmokePath   string
	SmokeStatus int
	// LatencyPath [SmokePath] is fetched Parallel [20] times at once; the
	// 95th percentile must stay within P95Budget [500ms]. One unmeasured
	// round goes first, so freshly started replicas have opened their
	// database and cache connections: the budget is about the steady state,
	// not about a pool's first TLS handshakes.
	LatencyPath string
	Parallel    int
	P95Budget   time.Duration
	// PagePath is the UI page; empty skips the page check. With a Browser,
	// the page is opened in it and must be loaded and ready (its data
	// rendered) within PageBudget [3s] of navigation start, without a
	// JavaScript error. Without one, the page and the same-origin assets it
	// references (scripts, stylesheets, images) are fetched and must all
	// arrive within PageBudget: a cruder measure, for machines with no
	// browser.
	PagePath   string
	PageBudget time.Duration
	// Browser opens the UI page in a real browser; nil falls back to the
	// fetch described above. The targets set it where a browser is
	// available.
	Browser UIChecker
}

// UIChecker opens the UI in a real browser. The pipeline stays free of any
// browser driver: a backend-neutral implementation (headless Chromium over
// the DevTools protocol) is plugged in by the targets.
type UIChecker interface {
	// CheckUI opens url — the public entry's base URL and
	// HealthConfig.PagePath, so the page goes through whatever a user's
	// browser goes through — and waits until the page has rendered its items
	// table (#items) from the API: an error row instead of items does not
	// count. It returns the page's navigation timing, measured from
	// navigation start, and where it kept a screenshot of the page.
	//
	// It fails on a JavaScript error on the page (an uncaught exception or
	// a console error), when the page is not ready within the checker's own
	// timeout, or when the browser cannot run; the UICheck is then filled as
	// far as the page got, screenshot included. It does not judge the
	// budget: the pipeline does, so every backend applies the same one.
	CheckUI(ctx context.Context, url string) (UICheck, error)
}

// UICheck is what the browser saw of the UI page.
type UICheck struct {
	// DOMContentLoaded and Load are the navigation timing events' ends;
	// Ready is when the page had rendered its data. All are measured from
	// navigation start; zero when the page never got there.
	DOMContentLoaded time.Duration `json:"dom_content_loaded_ns"`
	Load             time.Duration `json:"load_ns"`
	Ready            time.Duration `json:"ready_ns"`
	// Screenshot is where the picture of the page was kept ("" when none
	// was taken): beside the environment's release record.
	Screenshot string `json:"screenshot,omitempty"`
}

// Slowest is what the budget applies to: the later of the load event and
// the data on screen — a page is loaded for its user when both happened.
func (u UICheck) Slowest() time.Duration { return max(u.Load, u.Ready) }

// Summary is "DOMContentLoaded 120ms, load 180ms, ready 240ms".
func (u UICheck) Summary() string {
	return fmt.Sprintf("DOMContentLoaded %s, load %s, ready %s", round(u.DOMContentLoaded), round(u.Load), round(u.Ready))
}

func (h HealthConfig) withDefaults() HealthConfig {
	if h.ReadyTimeout <= 0 {
		h.ReadyTimeout = 60 * time.Second
	}
	if h.PollInterval <= 0 {
		h.PollInterval = time.Second
	}
	if h.SmokeStatus == 0 {
		h.SmokeStatus = http.StatusOK
	}
	if h.LatencyPath == "" {
		h.LatencyPath = h.SmokePath
	}
	if h.Parallel <= 0 {
		h.Parallel = 20
	}
	if h.P95Budget <= 0 {
		h.P95Budget = 500 * time.Millisecond
	}
	if h.PageBudget <= 0 {
		h.PageBudget = 3 * time.Second
	}
	return h
}

// healthStep runs the checks; what the browser saw goes into o (and from
// there into the attempt's record), pass or fail.
func (p *Pipeline) healthStep(ctx context.Context, o *op) error {
	h := p.HealthCheck.withDefaults()
	if err := p.waitReady(ctx, h); err != nil {
		return err
	}
	if h.SmokePath != "" {
		r, err := p.Prober.Get(ctx, h.SmokePath)
		if err != nil {
			return fmt.Errorf("smoke request %s: %w", h.SmokePath, err)
		}
		if r.Status != h.SmokeStatus {
			return fmt.Errorf("smoke request %s answered %d, want %d", h.SmokePath, r.Status, h.SmokeStatus)
		}
		p.logf("    smoke %s → %d (%s)", h.SmokePath, r.Status, round(r.Duration))
	}
	if h.LatencyPath != "" {
		p95, err := p.latencyP95(ctx, h)
		if err != nil {
			return err
		}
		if p95 > h.P95Budget {
			return fmt.Errorf("API p95 over %d parallel requests to %s is %s, over the %s budget", h.Parallel, h.LatencyPath, round(p95), h.P95Budget)
		}
		p.logf("    API p95 over %d parallel requests: %s (budget %s)", h.Parallel, round(p95), h.P95Budget)
	}
	if h.PagePath != "" && h.Browser != nil {
		return p.browserCheck(ctx, o, h)
	}
	if h.PagePath != "" {
		d, n, err := p.pageLoad(ctx, h.PagePath)
		if err != nil {
			return err
		}
		if d > h.PageBudget {
			return fmt.Errorf("UI page %s loaded (document and %d assets) in %s, over the %s budget", h.PagePath, n, round(d), h.PageBudget)
		}
		p.logf("    UI page %s (fetched, no browser): document and %d assets in %s (budget %s)", h.PagePath, n, round(d), h.PageBudget)
	}
	return nil
}

// browserCheck opens the UI page in the browser and judges its timing
// against the page budget.
func (p *Pipeline) browserCheck(ctx context.Context, o *op, h HealthConfig) error {
	url := strings.TrimRight(p.Prober.URL(), "/") + h.PagePath
	ui, err := h.Browser.CheckUI(ctx, url)
	o.ui = &ui
	shot := ""
	if ui.Screenshot != "" {
		shot = "; screenshot " + ui.Screenshot
	}
	if err != nil {
		return fmt.Errorf("UI page %s in the browser: %w (%s%s)", h.PagePath, err, ui.Summary(), shot)
	}
	if ui.Slowest() > h.PageBudget {
		return fmt.Errorf("UI page %s in the browser: loaded and ready in %s, over the %s budget (%s%s)", h.PagePath, round(ui.Slowest()), h.PageBudget, ui.Summary(), shot)
	}
	p.logf("    UI page %s in the browser: %s (budget %s)%s", h.PagePath, ui.Summary(), h.PageBudget, shot)
	return nil
}

// waitReady polls every readiness path until all answer 200 or the deadline.
func (p *Pipeline) waitReady(ctx context.Context, h HealthConfig) error {
	ctx, cancel := context.WithTimeout(ctx, h.ReadyTimeout)
	defer cancel()
	pending := append([]ReadyCheck(nil), h.Ready...)
	last := map[string]string{}
	start := time.Now()
	for {
		var still []ReadyCheck
		for _, c := range pending {
			r, err := p.Prober.Get(ctx, c.Path)
			switch {
			case err != nil:
				// A request cut off by the deadline says nothing about the
				// service: keep the last answer it gave, if any.
				if ctx.Err() == nil || last[c.Service] == "" {
					last[c.Service] = err.Error()
				}
				still = append(still, c)
			case r.Status != http.StatusOK:
				last[c.Service] = fmt.Sprintf("%d", r.Status)
				still = append(still, c)
			}
		}
		pending = still
		if len(pending) == 0 {
			p.logf("    %d services ready through %s (%s)", len(h.Ready), p.Prober.URL(), round(time.Since(start)))
			return nil
		}
		t := time.NewTimer(h.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			var parts []string
			for _, c := range pending {
				parts = append(parts, fmt.Sprintf("%s (%s → %s)", c.Service, c.Path, last[c.Service]))
			}
			return fmt.Errorf("not ready through %s after %s: %s", p.Prober.URL(), round(time.Since(start)), strings.Join(parts, ", "))
		case <-t.C:
		}
	}
}

// P95 is the nearest-rank 95th percentile.
func P95(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(math.Ceil(0.95*float64(len(s))))-1]
}

func (p *Pipeline) latencyP95(ctx context.Context, h HealthConfig) (time.Duration, error) {
	if _, err := p.latencyRound(ctx, h); err != nil {
		return 0, err
	}
	return p.latencyRound(ctx, h)
}

func (p *Pipeline) latencyRound(ctx context.Context, h HealthConfig) (time.Duration, error) {
	ds := make([]time.Duration, h.Parallel)
	errs := make([]error, h.Parallel)
	var wg sync.WaitGroup
	for i := range h.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := p.Prober.Get(ctx, h.LatencyPath)
			switch {
			case err != nil:
				errs[i] = err
			case r.Status >= 400:
				errs[i] = fmt.Errorf("answered %d", r.Status)
			}
			ds[i] = r.Duration
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, fmt.Errorf("latency request %s: %w", h.LatencyPath, err)
		}
	}
	return P95(ds), nil
}

var assetRef = regexp.MustCompile(`(?i)<(?:script|img)\b[^>]*\bsrc\s*=\s*["']([^"']+)["']|<link\b[^>]*\bhref\s*=\s*["']([^"']+)["']`)

// Assets lists the same-origin scripts, stylesheets and images an HTML page
// references, resolved against its path.
func Assets(pagePath string, html []byte) []string {
	base, err := url.Parse(pagePath)
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, m := range assetRef.FindAllSubmatch(html, -1) {
		ref := string(m[1])
		if ref == "" {
			ref = string(m[2])
		}
		u, err := url.Parse(ref)
		if err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(ref, "//") || strings.HasPrefix(ref, "data:") {
			continue // other origins are not the environment's to answer for
		}
		abs := base.ResolveReference(u).String()
		if !seen[abs] {
			seen[abs] = true
			out = append(out, abs)
		}
	}
	return out
}

// pageLoad fetches the page, then its assets in parallel, as a browser
// would; it returns the wall time of the whole and the number of assets.
func (p *Pipeline) pageLoad(ctx context.Context, path string) (time.Duration, int, error) {
	start := time.Now()
	doc, err := p.Prober.Get(ctx, path)
	if err != nil {
		return 0, 0, fmt.Errorf("UI page %s: %w", path, err)
	}
	if doc.Status != http.StatusOK {
		return 0, 0, fmt.Errorf("UI page %s answered %d", path, doc.Status)
	}
	assets := Assets(path, doc.Body)
	errs := make([]error, len(assets))
	var wg sync.WaitGroup
	for i, a := range assets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := p.Prober.Get(ctx, a)
			switch {
			case err != nil:
				errs[i] = fmt.Errorf("UI asset %s: %w", a, err)
			case r.Status != http.StatusOK:
				errs[i] = fmt.Errorf("UI asset %s answered %d", a, r.Status)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, 0, err
		}
	}
	return time.Since(start), len(assets), nil
}

// HTTPProber probes a base URL over HTTP(S); it serves every backend, since
// each has a public URL.
type HTTPProber struct {
	Base   string
	Client *http.Client
	// RequestTimeout bounds one request [10s].
	RequestTimeout time.Duration
}

// URL returns the base URL.
func (h *HTTPProber) URL() string { return h.Base }

// Get fetches Base+path.
func (h *HTTPProber) Get(ctx context.Context, path string) (Response, error) {
	c := h.Client
	if c == nil {
		c = http.DefaultClient
	}
	t := h.RequestTimeout
	if t <= 0 {
		t = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, t)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(h.Base, "/")+path, nil)
	if err != nil {
		return Response{}, err
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	d := time.Since(start)
	if err != nil {
		return Response{}, fmt.Errorf("reading %s: %w", path, err)
	}
	return Response{Status: resp.StatusCode, Body: body, Duration: d}, nil
}

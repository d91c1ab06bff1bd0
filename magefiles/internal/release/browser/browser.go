// Package browser opens the application's UI in a real, headless Chromium
// and measures what a person would wait for: the navigation timing of the
// page (DOMContentLoaded, load) and the moment the page has rendered its
// data from the API (a ready selector), against a budget; a JavaScript error
// on the page fails the check.
//
// UIChecker plugs Check into the pipeline's Health step, keeping the
// screenshot beside the environment's release record.
//
// The decisions it owns:
//   - which browser: Debian's chromium, installed on demand (once per
//     machine, under a lock) like the kit's other tools; CHROMIUM_PATH-style
//     overrides are the caller's (targets') business, passed as ExecPath;
//   - how it runs here: headless, no sandbox when root (Chromium refuses to
//     start a sandbox as root), no background networking or component
//     updates (this machine has no internet: they would only fail), a fresh
//     profile per check;
//   - what "ready" means: the ready selector matches and no element of the
//     error selector does — the example page renders an error row instead
//     of items when the API fails, which must not count as loaded.
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/dockerup"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// Candidates are where Debian (and other distributions) put Chromium.
var Candidates = []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}

// Find returns the path of an installed Chromium, or "".
func Find() string {
	for _, c := range Candidates {
		if fi, err := os.Stat(c); err == nil && !fi.IsDir() {
			return c
		}
	}
	return ""
}

// Ensure returns the path of Chromium, installing Debian's chromium package
// first when none is installed (root and apt-get required).
func Ensure(ctx context.Context, logf sh.Logf) (string, error) {
	return dockerup.EnsurePackage(ctx, logf, "chromium", Find)
}

// Options say what to check; zero values take the defaults in brackets.
type Options struct {
	ExecPath string // Chromium; required
	// ReadySelector must match for the page to count as ready
	// [#items tbody tr]; ErrorSelector must not [#items .error].
	ReadySelector string
	ErrorSelector string
	// Budget: ready within [3s] of navigation start; NoBudget leaves the
	// judgement to the caller (the pipeline's Health step).
	Budget  time.Duration
	Timeout time.Duration // the whole check [45s]
}

// NoBudget as Options.Budget: Check measures and does not judge.
const NoBudget time.Duration = -1

func (o Options) withDefaults() Options {
	if o.ReadySelector == "" {
		o.ReadySelector = "#items tbody tr"
	}
	if o.ErrorSelector == "" {
		o.ErrorSelector = "#items .error"
	}
	if o.Budget == 0 {
		o.Budget = 3 * time.Second
	}
	if o.Timeout == 0 {
		o.Timeout = 45 * time.Second
	}
	return o
}

// Result is what one page load showed.
type Result struct {
	URL string
	// DOMContentLoaded, Load and Ready are measured from navigation start
	// (the Navigation Timing API's clock, in the page).
	DOMContentLoaded time.Duration
	Load             time.Duration
	Ready            time.Duration
	// JSErrors are uncaught exceptions and console errors, in order.
	JSErrors   []string
	Screenshot []byte // PNG of the page once ready (or at the failure)
}

// Summary is one line for progress output.
func (r Result) Summary() string {
	return fmt.Sprintf("DOMContentLoaded %s, load %s, ready %s", ms(r.DOMContentLoaded), ms(r.Load), ms(r.Ready))
}

func ms(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

// Check loads url in a fresh headless Chromium and waits until the page is
// ready. The error says why the page failed (a JavaScript error, not ready
// in time, over budget); the Result is filled as far as the page got, the
// screenshot included, either way.
func Check(ctx context.Context, url string, o Options) (Result, error) {
	o = o.withDefaults()
	res := Result{URL: url}
	if o.ExecPath == "" {
		return res, errors.New("browser: no Chromium (ExecPath is empty)")
	}
	// Grace beyond Timeout: the screenshot of a page that never got ready
	// is taken after the wait has given up.
	ctx, cancel := context.WithTimeout(ctx, o.Timeout+15*time.Second)
	defer cancel()
	profile, err := os.MkdirTemp("", "equiptrack-chromium-")
	if err != nil {
		return res, fmt.Errorf("browser: %w", err)
	}
	defer os.RemoveAll(profile)
	defer removeSingletonDir(profile) // runs first: it reads the profile

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(o.ExecPath),
		chromedp.UserDataDir(profile),
		chromedp.Headless, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	var mu sync.Mutex
	// Listen starts the browser (and its first tab) on the first call.
	listenErr := chromedp.Listen(bctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = e.ExceptionDetails.Text // "Uncaught"
			if e.ExceptionDetails.Exception != nil && e.ExceptionDetails.Exception.Description != "" {
				msg += " " + firstLine(e.ExceptionDetails.Exception.Description)
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type != runtime.ConsoleAPICalledTypeError {
				return
			}
			var parts []string
			for _, a := range e.Args {
				if a.Description != "" {
					parts = append(parts, firstLine(a.Description))
				} else if len(a.Value) > 0 {
					parts = append(parts, strings.Trim(string(a.Value), `"`))
				}
			}
			msg = "console.error: " + strings.Join(parts, " ")
		default:
			return
		}
		mu.Lock()
		res.JSErrors = append(res.JSErrors, msg)
		mu.Unlock()
	})
	if listenErr != nil {
		return res, fmt.Errorf("browser: start chromium: %w", listenErr)
	}
	errorsSoFar := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), res.JSErrors...)
	}

	// The ready moment is taken in the page (performance.now() when the
	// selector first matches), so the polling interval does not add to it.
	const watch = `(() => {
		window.__kitReady = -1;
		const check = () => {
			if (document.querySelector(%q) && !document.querySelector(%q)) {
				if (window.__kitReady < 0) window.__kitReady = performance.now();
				return;
			}
			requestAnimationFrame(check);
		};
		check();
	})()`
	if err := chromedp.Do(bctx, chromedp.Navigate(url)); err != nil {
		return res, fmt.Errorf("browser: open %s: %w", url, err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(watch, o.ReadySelector, o.ErrorSelector))); err != nil {
		return res, fmt.Errorf("browser: %w", err)
	}
	type navTiming struct {
		DCL   float64 `json:"dcl"`
		Load  float64 `json:"load"`
		Ready float64 `json:"ready"`
	}
	timing := navTiming{Ready: -1}
	const read = `(() => { const n = performance.getEntriesByType("navigation")[0] || {};
		return {dcl: n.domContentLoadedEventEnd || 0, load: n.loadEventEnd || 0, ready: window.__kitReady}; })()`
	var waitErr error
	notReady := false
	deadline := time.After(o.Timeout)
	for {
		t, err := chromedp.Run(bctx, chromedp.Evaluate[navTiming](read))
		if err != nil {
			waitErr = fmt.Errorf("read timing: %w", err)
			break
		}
		timing = t
		if timing.Ready >= 0 && timing.Load > 0 {
			break
		}
		if len(errorsSoFar()) > 0 {
			break
		}
		select {
		case <-deadline:
			notReady = true
		case <-ctx.Done():
			waitErr = ctx.Err()
		case <-time.After(50 * time.Millisecond):
			continue
		}
		break
	}
	res.DOMContentLoaded = msDur(timing.DCL)
	res.Load = msDur(timing.Load)
	if timing.Ready >= 0 {
		res.Ready = msDur(timing.Ready)
	}
	// A screenshot whatever happened: it is what a person would have seen.
	shotCtx, shotCancel := context.WithTimeout(bctx, 10*time.Second)
	res.Screenshot, _ = chromedp.Run(shotCtx, chromedp.FullScreenshot(100)) // quality 100 is PNG; below, JPEG)
	shotCancel()
	res.JSErrors = errorsSoFar()

	switch {
	case len(res.JSErrors) > 0:
		return res, &PageError{URL: url, Reason: "JavaScript error on the page: " + res.JSErrors[0]}
	case notReady:
		return res, &PageError{URL: url, Reason: fmt.Sprintf("did not render %q within %s", o.ReadySelector, o.Timeout)}
	case waitErr != nil:
		return res, fmt.Errorf("browser: %w", waitErr)
	case o.Budget != NoBudget && res.Ready > o.Budget:
		return res, &PageError{URL: url, Reason: fmt.Sprintf("ready in %s, over the %s budget (%s)", ms(res.Ready), ms(o.Budget), res.Summary())}
	}
	return res, nil
}

// PageError is a page that loaded and failed: a JavaScript error, its data
// not rendered in time, or over the budget. Reason says why without the URL, for callers that name the
// page themselves.
type PageError struct {
	URL, Reason string
}

func (e *PageError) Error() string { return "browser: " + e.URL + ": " + e.Reason }

func msDur(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// removeSingletonDir removes the folder Chromium keeps its singleton socket
// in (TMPDIR/org.chromium.Chromium.XXXXXX, linked from the profile as
// SingletonSocket), which it leaves behind when it is stopped, as it is
// after every check: hundreds of them piled up in /tmp. (A TMPDIR inside
// the profile would go with the profile, but the socket's path must stay
// within the 108 bytes of a Unix socket address.)
func removeSingletonDir(profile string) {
	target, err := os.Readlink(filepath.Join(profile, "SingletonSocket"))
	if err != nil {
		return
	}
	if dir := filepath.Dir(target); strings.HasPrefix(filepath.Base(dir), "org.chromium.Chromium.") {
		_ = os.RemoveAll(dir)
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

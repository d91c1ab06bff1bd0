package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// ScreenshotName is the file, in UIChecker.Dir, that holds the screenshot of
// the last UI check: each check replaces the previous one's, so the file
// always matches the newest release record's attempt.
const ScreenshotName = "health-ui.png"

// UIChecker is the Health step's browser (pipeline.UIChecker): Check in a
// fresh headless Chromium, the budget left to the pipeline, the screenshot
// kept in Dir.
type UIChecker struct {
	// ExecPath is Chromium (Find or Ensure); required.
	ExecPath string
	// Dir is where the screenshot is kept: the environment's state
	// directory, beside its release record. Empty keeps none.
	Dir string
	// Timeout bounds the wait for the page to be ready [45s].
	Timeout time.Duration
	// Logf receives a warning when the screenshot cannot be kept; nil is
	// silent.
	Logf sh.Logf
}

var _ pipeline.UIChecker = UIChecker{}

// CheckUI opens url and waits until its items table is rendered; see
// pipeline.UIChecker. A screenshot that cannot be written is a warning, not
// a failed health check: the page itself was fine or its error is reported.
func (c UIChecker) CheckUI(ctx context.Context, url string) (pipeline.UICheck, error) {
	res, err := Check(ctx, url, Options{ExecPath: c.ExecPath, Budget: NoBudget, Timeout: c.Timeout})
	ui := pipeline.UICheck{DOMContentLoaded: res.DOMContentLoaded, Load: res.Load, Ready: res.Ready}
	if len(res.Screenshot) > 0 && c.Dir != "" {
		path := filepath.Join(c.Dir, ScreenshotName)
		if werr := writeFile(path, res.Screenshot); werr != nil {
			if c.Logf != nil {
				c.Logf("    warning: keeping the UI screenshot: %v", werr)
			}
		} else {
			ui.Screenshot = path
		}
	}
	// The pipeline names the page itself: the reason alone reads better
	// after its "UI page / in the browser: ".
	var pe *PageError
	if errors.As(err, &pe) {
		err = errors.New(pe.Reason)
	}
	return ui, err
}

// writeFile replaces path through a temporary file, so a reader (status)
// never sees half a PNG.
func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".shot-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(b)
	if err := errors.Join(werr, tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

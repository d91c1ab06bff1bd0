package targets

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

func TestBrowserModeIsCheckedBeforeAnyWork(t *testing.T) {
	for v, want := range map[string]string{"": "auto", "auto": "auto", "on": "on", "off": "off"} {
		t.Setenv(envBrowser, v)
		if got, err := browserMode(); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", v, got, err, want)
		}
	}
	w := awsWorld(t, "staging", "us-east-1", true, "v1.0.0")
	t.Setenv(envBrowser, "yes")
	w.Fake.ResetCalls()
	want := `EQUIPTRACK_BROWSER="yes": want auto, on or off`
	for name, run := range map[string]func() error{
		"staging:release":  func() error { return Staging{}.Release(context.Background(), "v1.0.0", nil, nil) },
		"staging:rollback": func() error { return Staging{}.Rollback(context.Background(), "previous", nil) },
		"staging:health":   func() error { return Staging{}.Health(context.Background()) },
		"local:health":     func() error { return Local{}.Health(context.Background()) },
	} {
		if err := run(); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %q", name, err, want)
		}
	}
	if calls := w.Fake.Calls(); len(calls) != 0 {
		t.Errorf("AWS was called before the setting was checked: %v", calls)
	}
}

func TestStatusSaysWhereTheScreenshotIs(t *testing.T) {
	if got := screenshotLine(nil); got != "" {
		t.Errorf("no UI check: %q", got)
	}
	shot := filepath.Join(t.TempDir(), "health-ui.png")
	if err := os.WriteFile(shot, []byte("\x89PNG"), 0o644); err != nil {
		t.Fatal(err)
	}
	ui := &pipeline.UICheck{DOMContentLoaded: 85 * time.Millisecond, Load: 140 * time.Millisecond, Ready: 310 * time.Millisecond, Screenshot: shot}
	if got, want := screenshotLine(ui), "UI in the browser at the last attempt: DOMContentLoaded 85ms, load 140ms, ready 310ms; screenshot "+shot; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	ui.Screenshot = "/elsewhere/health-ui.png"
	if got, want := screenshotLine(ui), "UI in the browser at the last attempt: DOMContentLoaded 85ms, load 140ms, ready 310ms; screenshot /elsewhere/health-ui.png (not on this machine: it is kept where that attempt ran)"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

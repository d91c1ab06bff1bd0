package targets

import (
	"context"
	"fmt"
	"os"

	"github.com/equiptrack/release-kit/magefiles/internal/release/browser"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// envBrowser says whether the Health step opens the UI in headless
// Chromium: "auto" (the default) when Chromium is installed, "on" installs
// it first when it is not (Debian's package, root and apt-get needed),
// "off" never — the page and its assets are fetched instead, a cruder
// measure with no JavaScript run.
const envBrowser = "EQUIPTRACK_BROWSER"

func browserMode() (string, error) {
	switch v := os.Getenv(envBrowser); v {
	case "", "auto":
		return "auto", nil
	case "on", "off":
		return v, nil
	default:
		return "", fmt.Errorf("%s=%q: want auto, on or off", envBrowser, v)
	}
}

// healthBrowser is the Health step's browser as EQUIPTRACK_BROWSER says,
// keeping its screenshot in dir (beside the environment's release record);
// nil when there is none, and the pipeline fetches the page instead.
func healthBrowser(ctx context.Context, dir string) (pipeline.UIChecker, error) {
	mode, err := browserMode()
	if err != nil {
		return nil, err
	}
	var bin string
	switch mode {
	case "off":
		return nil, nil
	case "on":
		if bin, err = browser.Ensure(ctx, logf); err != nil {
			return nil, fmt.Errorf("%s=on: %w", envBrowser, err)
		}
	default:
		if bin = browser.Find(); bin == "" {
			logf("no Chromium here: the health check fetches the UI page instead of opening it (%s=on installs Chromium, as test:tools does)", envBrowser)
			return nil, nil
		}
	}
	return browser.UIChecker{ExecPath: bin, Dir: dir, Logf: logf}, nil
}

// screenshotLine says where the last health check's screenshot is, for
// `<env>:status`; "" when the last attempt kept none.
func screenshotLine(ui *pipeline.UICheck) string {
	if ui == nil || ui.Screenshot == "" {
		return ""
	}
	where := ui.Screenshot
	if _, err := os.Stat(where); err != nil {
		where += " (not on this machine: it is kept where that attempt ran)"
	}
	return fmt.Sprintf("UI in the browser at the last attempt: %s; screenshot %s", ui.Summary(), where)
}

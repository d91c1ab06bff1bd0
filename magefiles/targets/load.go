package targets

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/release/load"
	"github.com/equiptrack/release-kit/magefiles/internal/release/manifest"
)

// loadFlags are the flags every `<env>:load` target takes, parsed and
// validated before any request.
type loadFlags struct {
	users    int
	duration time.Duration
	json     bool
}

func parseLoadFlags(users *int, duration, format *string) (loadFlags, error) {
	f := loadFlags{users: 20, duration: time.Minute}
	if users != nil && *users != 0 {
		f.users = *users
	}
	if duration != nil && *duration != "" {
		d, err := time.ParseDuration(*duration)
		if err != nil {
			return f, fmt.Errorf("load: -duration=%s: want a Go duration such as 60s or 5m", *duration)
		}
		f.duration = d
	}
	if f.users < 1 || f.users > load.MaxUsers {
		return f, fmt.Errorf("load: -users=%d: want 1-%d", f.users, load.MaxUsers)
	}
	if f.duration < time.Second || f.duration > load.MaxDuration {
		return f, fmt.Errorf("load: -duration=%s: want 1s-%s", f.duration, load.MaxDuration)
	}
	if format != nil {
		switch *format {
		case "", "text":
		case "json":
			f.json = true
		default:
			return f, fmt.Errorf("load: -format=%s: want text or json", *format)
		}
	}
	return f, nil
}

// runLoad sends the manifest's demo-load mix to baseURL (the environment's
// own URL, never one from the command line), prints the report and fails
// when the verdict does.
func runLoad(ctx context.Context, baseURL string, m *manifest.Manifest, f loadFlags) error {
	var mix []load.Request
	for _, r := range m.LoadMix() {
		mix = append(mix, load.Request{Name: r.Name, Path: r.Path, Weight: r.Weight, API: r.API})
	}
	o := load.Options{BaseURL: baseURL, Mix: mix, Users: f.users, Duration: f.duration}
	if err := o.Validate(); err != nil {
		return err
	}
	errf("load: %d users for %s against %s …", f.users, f.duration, baseURL)
	rep, err := load.Run(ctx, o)
	if err != nil {
		return err
	}
	if f.json {
		err = rep.WriteJSON(os.Stdout)
	} else {
		err = rep.WriteText(os.Stdout)
	}
	if err != nil {
		return err
	}
	if !rep.Pass {
		return fmt.Errorf("%s", rep.Verdict)
	}
	return nil
}

// Load sends a demo load to the local environment's entry: -users virtual
// users (default 20) for -duration (default 60s) over the manifest's mix of
// API calls and page loads; prints requests, req/s, p50/p95/p99 and errors
// per endpoint and overall (-format=text|json), then the verdict against the
// budgets (API p95 < 500 ms, no errors), and fails when it does.
// Env: APP_DIR, EQUIPTRACK_LOCAL_*_PORT.
func (Local) Load(ctx context.Context, users *int, duration, format *string) error {
	f, err := parseLoadFlags(users, duration, format)
	if err != nil {
		return err
	}
	o, e, err := attachLocal(ctx, false)
	if err != nil {
		return err
	}
	return runLoad(ctx, e.URL(), o.Manifest, f)
}

// load is `<env>:load` of an AWS environment: the flags are checked before
// AWS is asked anything; the URL is the one in the environment's facts
// (Terraform's output, read from SSM with the account checked), never one
// from the command line, and load.Options.Validate refuses it unless it is
// a root http(s) URL.
func (a *awsEnv) load(ctx context.Context, users *int, duration, format *string) error {
	f, err := parseLoadFlags(users, duration, format)
	if err != nil {
		return err
	}
	r, err := a.open(ctx, false)
	if err != nil {
		return err
	}
	return runLoad(ctx, r.e.URL(), r.m, f)
}

package targets

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/cost"
	"github.com/equiptrack/release-kit/magefiles/internal/terraform/tfdriver"
)

// Cost plans dev and staging offline and prints their monthly estimate.
// Per environment, line by line: Fargate per service, database, cache, load
// balancer, NAT, public IPv4, logs, secrets, …; then dev's scale-down and
// the total for both, whose last line is
// `total (both environments): $X/month`. See docs/cost.md.
// Optional -format=text|markdown|json. Env: COST_ASSUMPTIONS (a usage
// assumptions file instead of magefiles/internal/cost/assumptions.json), TF_BINARY,
// EQUIPTRACK_KIT_CACHE.
func Cost(ctx context.Context, format *string) error {
	f := cost.Text
	if format != nil && *format != "" {
		var err error
		if f, err = cost.ParseFormat(*format); err != nil {
			return fmt.Errorf("cost: -format: %w", err)
		}
	}
	prices, err := cost.DefaultPrices()
	if err != nil {
		return fmt.Errorf("cost: %w", err)
	}
	assumptions, err := cost.LoadAssumptions(os.Getenv(cost.AssumptionsEnv))
	if err != nil {
		return fmt.Errorf("cost: %w", err)
	}
	start := time.Now()
	// Progress goes to stderr so that -format=json/markdown stay clean on stdout.
	plans, err := cost.PlanEnvironments(ctx, terraformRoot, cost.Environments, tfdriver.CheckerOptions{Binary: os.Getenv(tfdriver.BinaryEnv)}, errf)
	if err != nil {
		return err
	}
	report, err := cost.Estimates(plans, cost.Environments, prices, assumptions, cost.Options{})
	if err != nil {
		return err
	}
	errf("cost: estimated in %s", time.Since(start).Round(100*time.Millisecond))
	return report.Write(os.Stdout, f)
}

func errf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

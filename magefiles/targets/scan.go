package targets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/terraform/scan"
)

// Scan runs the offline security scan of terraform/: Trivy's misconfiguration
// checks (embedded in the binary, no download), TFLint with its bundled
// terraform ruleset, and the rule that every inline skip carries a
// justification. Builds trivy and tflint into the cache on first use (about
// 7 min cold). Exits non-zero on any finding. Env: EQUIPTRACK_KIT_CACHE.
func (Infra) Scan(ctx context.Context) error {
	start := time.Now()
	res, err := scan.Run(ctx, terraformRoot, scan.Options{Logf: logf})
	if res != nil {
		fmt.Print(scan.Summary(res))
	}
	if err != nil {
		if errors.Is(err, scan.ErrFindings) {
			return fmt.Errorf("infra:scan: %w (fix them or skip inline with a justification: docs/security-scan.md)", err)
		}
		return fmt.Errorf("infra:scan: %w", err)
	}
	logf("infra:scan: clean in %s", time.Since(start).Round(100*time.Millisecond))
	return nil
}

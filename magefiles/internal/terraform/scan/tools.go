// Package scan runs the kit's static security checks over the Terraform:
// Trivy's misconfiguration scanner (its built-in checks, embedded in the
// binary, run offline) and TFLint with its bundled `terraform` ruleset.
//
// Neither tool ships as a Go-proxy-free download we can use here (no
// internet except the Go module proxy), so both are built from source with
// `go install module@version` into the kit's cache, once per version.
package scan

import (
	"context"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/gotool"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// Trivy is the misconfiguration scanner. v0.74 uses encoding/json/v2, which
// Go 1.26 only offers behind GOEXPERIMENT=jsonv2.
var Trivy = gotool.Tool{
	Package: "github.com/aquasecurity/trivy/cmd/trivy",
	Version: "v0.74.0",
	Env:     []string{"GOEXPERIMENT=jsonv2"},
	Timeout: 40 * time.Minute,
	Expect:  "about 6-7 min on 2 cores, 340 MB",
}

// TFLint is the Terraform linter. Only its bundled `terraform` ruleset is
// used: the AWS ruleset plugin is downloaded from GitHub releases, which this
// machine cannot reach.
var TFLint = gotool.Tool{
	Package: "github.com/terraform-linters/tflint",
	Version: "v0.64.0",
	Timeout: 20 * time.Minute,
	Expect:  "about 75 s on 2 cores",
}

// EnsureTrivy returns the cached trivy binary, building it when missing.
func EnsureTrivy(ctx context.Context, logf sh.Logf) (string, error) {
	return gotool.Ensure(ctx, Trivy, logf)
}

// EnsureTFLint returns the cached tflint binary, building it when missing.
func EnsureTFLint(ctx context.Context, logf sh.Logf) (string, error) {
	return gotool.Ensure(ctx, TFLint, logf)
}

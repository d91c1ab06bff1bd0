// Package scan runs the kit's static security checks over the Terraform:
// Trivy's Terraform misconfiguration scanner (its built-in checks, embedded
// in the binary, run offline) and TFLint with its bundled `terraform` ruleset.
//
// Neither tool ships as a Go-proxy-free download we can use here (no
// internet except the Go module proxy), so both are built from source with
// `go install module@version` into the kit's cache, once per version.
package scan

import (
	"context"
	_ "embed" // trivy_iac.go
	"slices"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/gotool"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// trivyIAC is the source of trivy-iac: Trivy's Terraform scanner alone.
//
//go:embed trivy_iac.go
var trivyIAC []byte

// Trivy is the misconfiguration scanner: trivy-iac (trivy_iac.go), the
// engine and embedded checks of `trivy config` built from Trivy's module
// without the rest of the trivy command (a cold build of which took 17 of
// the 29 minutes of provisioning here). Trivy's own releases are built with
// GOEXPERIMENT=jsonv2 for the encoding/json/v2 of its other scanners;
// nothing trivy-iac compiles imports it (go list -deps), and without the
// experiment it shares the standard library compiled for the other tools
// instead of compiling all of it a second time (about 1.5 CPU-minutes).
var Trivy = gotool.Tool{
	Package: "github.com/aquasecurity/trivy",
	Version: "v0.74.0",
	Main:    trivyIAC,
	Binary:  "trivy-iac",
	// Its remote-module resolver imports go-getter, which trivy-iac never
	// calls (it allows no download).
	Cuts:    gotool.GoGetterCloudGetters,
	Timeout: 40 * time.Minute,
	Expect:  "about 2 min on 2 cores",
}

// TFLint is the Terraform linter. Only its bundled `terraform` ruleset is
// used: the AWS ruleset plugin is downloaded from GitHub releases, which this
// machine cannot reach. Built without go-getter's cloud getters (its module
// rules only parse sources) and without the Sigstore verification of
// downloaded plugins (`tflint --init`, which cannot reach GitHub here
// either): 276 packages compile instead of 850.
var TFLint = gotool.Tool{
	Package: "github.com/terraform-linters/tflint",
	Version: "v0.64.0",
	Cuts: append(slices.Clone(gotool.GoGetterCloudGetters), gotool.Cut{
		Module: "github.com/terraform-linters/tflint", File: "plugin/signature.go",
		Imports: []string{
			"github.com/sigstore/sigstore-go/pkg/bundle", "github.com/sigstore/sigstore-go/pkg/root",
			"github.com/sigstore/sigstore-go/pkg/tuf", "github.com/sigstore/sigstore-go/pkg/verify",
		},
	}),
	Timeout: 20 * time.Minute,
	Expect:  "about a minute on 2 cores",
}

// EnsureTrivy returns the cached trivy binary, building it when missing.
func EnsureTrivy(ctx context.Context, logf sh.Logf) (string, error) {
	return gotool.Ensure(ctx, Trivy, logf)
}

// EnsureTFLint returns the cached tflint binary, building it when missing.
func EnsureTFLint(ctx context.Context, logf sh.Logf) (string, error) {
	return gotool.Ensure(ctx, TFLint, logf)
}

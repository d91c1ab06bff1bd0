package targets

import (
	"context"
	"fmt"

	"github.com/equiptrack/release-kit/magefiles/internal/release/lifecycle"
)

// awsSeams are what the lifecycle flows read and run in AWS besides
// Terraform and STS: ECS service status, health through the URL, and up's
// release steps and secrets. The AWS backend (internal/release/awsenv)
// implements them; this file is where they are wired.
type awsSeams struct {
	Services lifecycle.Services
	Health   lifecycle.Health
	Release  lifecycle.Release
	Secrets  lifecycle.Secrets
	URL      string
}

// openAWS builds the seams of one environment. Until the AWS backend is
// part of this build, the targets that need ECS (verify, up, scaleDown)
// stop here — after the identity check, before any Terraform work.
var openAWS = func(_ context.Context, env string, _ *lifecycle.Vars) (*awsSeams, error) {
	return nil, fmt.Errorf("%s: the AWS backend (internal/release/awsenv: ECS status, health, release steps) is not wired into the lifecycle targets yet", env)
}

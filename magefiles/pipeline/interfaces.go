package pipeline

import (
	"context"
	"errors"
	"time"
)

// The interfaces below are everything a backend provides. They are narrow on
// purpose: the local backend implements them with the Docker engine, the AWS
// backend with ECR, ECS RunTask, ECS services and SSM (docs/pipeline.md maps
// each method to its AWS calls), and the unit tests with small in-memory
// fakes. No step knows which backend runs behind them.

// Image is one built image, known to the machine that built it.
type Image struct {
	// Service is a service name from the manifest, or SeederImage.
	Service string
	// Version is the release version the image is tagged with.
	Version string
	// Ref is where the builder left it (a local image reference).
	Ref string
}

// ImageBuilder builds the images of one version.
type ImageBuilder interface {
	// Build builds the images of the named services (and SeederImage when
	// listed), tagged with version, and returns them in the order asked.
	Build(ctx context.Context, version string, services []string) ([]Image, error)
	// Built returns the images of the version this machine built earlier,
	// failing when one is missing (for Push called alone).
	Built(ctx context.Context, version string, services []string) ([]Image, error)
}

// Registry is the environment's image registry (a local registry container;
// ECR on AWS).
type Registry interface {
	// Digest returns the digest the registry holds for service:tag, or ""
	// when the tag is absent. It must be cheap: the pipeline asks it for every
	// service before deciding whether to build.
	Digest(ctx context.Context, service, tag string) (string, error)
	// Push uploads a built image and returns the digest the registry now
	// holds. Pushing a tag that exists with another digest fails with an
	// error wrapping ErrImmutableTag; pushing the identical image again is a
	// no-op that returns its digest.
	Push(ctx context.Context, img Image) (string, error)
}

// ErrImmutableTag marks an attempt to move an immutable tag to other content.
var ErrImmutableTag = errors.New("immutable tag")

// TaskSpec is a one-off task: migrate and seed.
type TaskSpec struct {
	// Name is what the task is for ("migrate", "seed"), used in names and logs.
	Name string
	// Image is the service whose image the task runs (or SeederImage).
	Image string
	// Version selects the image tag.
	Version string
	// Command overrides the image's command (CMD), keeping its entrypoint, as
	// ECS's containerOverrides.command does; nil keeps it.
	Command []string
}

// ContainerExit is how one container of a task ended.
type ContainerExit struct {
	Name     string
	ExitCode int
}

// TaskResult is what a finished one-off task left behind.
type TaskResult struct {
	// Containers lists every container's exit code (ECS tasks may have
	// several; the local backend has one).
	Containers []ContainerExit
	// StopCode and StopReason say why the task stopped (ECS's stopCode and
	// stoppedReason; locally "EssentialContainerExited" or "Timeout").
	StopCode   string
	StopReason string
	// Logs holds the last lines of the task's output.
	Logs []string
}

// Succeeded reports whether every container exited 0.
func (r TaskResult) Succeeded() bool {
	if len(r.Containers) == 0 {
		return false
	}
	for _, c := range r.Containers {
		if c.ExitCode != 0 {
			return false
		}
	}
	return true
}

// TaskRunner runs one-off tasks to completion.
type TaskRunner interface {
	// Run starts the task and waits (within ctx) until it has stopped. An
	// error means the task could not be run or waited for; a task that ran and
	// failed returns its result and a nil error.
	Run(ctx context.Context, spec TaskSpec) (TaskResult, error)
}

// Revision is what one service runs: enough to put it back exactly.
type Revision struct {
	Service string `json:"service"`
	Version string `json:"version"`
	// ID pins the revision: an image digest reference locally, a task
	// definition ARN on ECS.
	ID       string `json:"id"`
	Replicas int    `json:"replicas"`
}

// Revisions maps a service name to its revision.
type Revisions map[string]Revision

// Deployer runs the services.
type Deployer interface {
	// Current reports every running service's revision; services that do not
	// run are absent.
	Current(ctx context.Context) (Revisions, error)
	// Deploy rolls every service to version's images, keeping the old
	// replicas until the new ones are up, and returns once every service runs
	// the new revision (or with an error when a rollout failed).
	Deploy(ctx context.Context, version string, services []string) error
	// Restore puts every listed service back on its recorded revision and
	// waits for that to complete.
	Restore(ctx context.Context, revs Revisions) error
}

// Response is one HTTP exchange seen by a Prober.
type Response struct {
	Status   int
	Body     []byte
	Duration time.Duration
}

// Prober reaches the environment's public entry (the local entry container;
// CloudFront in front of the ALB on AWS).
type Prober interface {
	// Get fetches path (absolute, e.g. "/api/inventory/readyz") from the
	// public entry.
	Get(ctx context.Context, path string) (Response, error)
	// URL is the public base URL, for messages.
	URL() string
}

// Record is what the store keeps about an environment's releases.
type Record struct {
	// Version is the version the environment runs after the last release or
	// rollback that completed its deploy.
	Version string `json:"version"`
	// Revisions are the services' revisions at that point.
	Revisions Revisions `json:"revisions"`
	// Previous are the revisions the services ran before it.
	Previous Revisions `json:"previous"`
	// Last describes the most recent attempt, successful or not.
	Last Attempt `json:"last"`
}

// Attempt is one release or rollback attempt.
type Attempt struct {
	Kind     string    `json:"kind"` // "release" or "rollback"
	Version  string    `json:"version"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Result is "succeeded" or "failed".
	Result string `json:"result"`
	// FailedStep and Error are set when Result is "failed".
	FailedStep string `json:"failed_step,omitempty"`
	Error      string `json:"error,omitempty"`
	// RolledBack is true when the services were restored after the failure.
	RolledBack bool `json:"rolled_back,omitempty"`
}

// Store keeps the release record and the environment's release lock.
type Store interface {
	// Lock takes the environment's release lock without waiting. When another
	// holder has it, the error wraps ErrLocked and names the holder.
	Lock(ctx context.Context, holder string) (unlock func() error, err error)
	// Load returns the record; a zero Record when nothing was released yet.
	Load(ctx context.Context) (Record, error)
	// Save replaces the record.
	Save(ctx context.Context, r Record) error
}

// ErrLocked marks a release refused because another one holds the lock.
var ErrLocked = errors.New("another release of this environment is running")

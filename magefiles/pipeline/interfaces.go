package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The interfaces below are everything a backend provides. They are narrow on
// purpose: the local backend implements them with the Docker engine, the AWS
// backend with ECR, ECS task definitions, RunTask, ECS services and SSM
// (docs/pipeline.md maps each method to its AWS calls), and the unit tests
// with small in-memory fakes. No step knows which backend runs behind them,
// and the pipeline trusts none of them blindly: after every roll it reads
// Current itself and fails the step when a service does not run what it was
// asked to run.
//
// A release flows through them as values, each produced once:
//
//	Registry.Resolve(version, images)  → Artifacts  (one batched call)
//	Deployer.Prepare(Artifacts)        → Revisions  (task definitions on ECS)
//	TaskRunner.Run(TaskSpec{Revision}) → TaskResult (migrate, seed)
//	Deployer.Roll(Revisions)           → then Current, checked by the pipeline
//
// The contract suite in package pipelinetest checks a backend against these
// comments; every backend runs it against itself.

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

// Artifact is one image of a version as the registry holds it: resolved
// once per release and carried through every later step, so no step asks
// the registry for it again.
type Artifact struct {
	// Service is a service name, or SeederImage.
	Service string `json:"service"`
	Version string `json:"version"`
	// Digest is the content digest ("sha256:…"); "" when the registry does
	// not hold service:version.
	Digest string `json:"digest,omitempty"`
	// Ref pulls exactly this content: repository@digest ("" when absent).
	Ref string `json:"ref,omitempty"`
}

// Present reports whether the registry holds the artifact.
func (a Artifact) Present() bool { return a.Digest != "" }

// Artifacts maps an image name (service or SeederImage) to its artifact.
type Artifacts map[string]Artifact

// Missing lists, in the order of names, the images the registry lacks.
func (as Artifacts) Missing(names []string) []string {
	var out []string
	for _, n := range names {
		if !as[n].Present() {
			out = append(out, n)
		}
	}
	return out
}

// Registry is the environment's image registry (a local registry container;
// ECR on AWS). Its tags are immutable.
type Registry interface {
	// Resolve returns the artifact of every named image at version, in one
	// batched call to the registry (ECR: one BatchGetImage / DescribeImages
	// for all of them). Every name is a key of the result; an image the
	// registry lacks has an empty Digest and is not an error. An error means
	// the registry could not be asked.
	Resolve(ctx context.Context, version string, images []string) (Artifacts, error)
	// Push uploads a built image and returns the artifact the registry now
	// holds. Pushing a tag that exists with another digest fails with an
	// error wrapping ErrImmutableTag; pushing the identical image again is a
	// no-op that returns the same artifact.
	Push(ctx context.Context, img Image) (Artifact, error)
}

// ErrImmutableTag marks an attempt to move an immutable tag to other content.
var ErrImmutableTag = errors.New("immutable tag")

// Revision is what one service runs, or what a one-off task runs: enough to
// run it again exactly.
type Revision struct {
	Service string `json:"service"`
	Version string `json:"version"`
	// ID pins the revision: an image digest reference locally, a task
	// definition ARN on ECS. An empty ID in Roll means "stop the service".
	ID string `json:"id"`
	// Replicas is the desired count of the service (0 for a task's revision).
	Replicas int `json:"replicas"`
}

// Stopped is the revision that asks Roll to stop a service: on a restore,
// for a service that ran nothing before the release.
func Stopped(service string) Revision { return Revision{Service: service} }

// IsStop reports whether the revision asks Roll to stop its service.
func (r Revision) IsStop() bool { return r.ID == "" }

// Revisions maps a service (or SeederImage) to its revision.
type Revisions map[string]Revision

// TaskSpec is a one-off task: migrate and seed.
type TaskSpec struct {
	// Name is what the task is for ("migrate", "seed"), used in names and logs.
	Name string
	// Revision is the prepared revision the task runs (Deployer.Prepare):
	// the migrating service's, or SeederImage's.
	Revision Revision
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
	// Run starts the task from its prepared revision and waits (within ctx)
	// until it has stopped. An error means the task could not be run or
	// waited for; a task that ran and failed returns its result and a nil
	// error.
	Run(ctx context.Context, spec TaskSpec) (TaskResult, error)
}

// ServiceState is what one service runs now, as the backend sees it.
type ServiceState struct {
	Service string `json:"service"`
	// Revision is the revision the service is set to run; its Replicas is
	// the desired count. (ECS: the PRIMARY deployment's task definition and
	// the service's desiredCount; locally the revision of replica 1.)
	Revision Revision `json:"revision"`
	// Running counts the replicas (tasks) running Revision.
	Running int `json:"running"`
	// Other counts the replicas running any other revision: a rollout still
	// draining, or leftovers of an interrupted one.
	Other int `json:"other,omitempty"`
}

// Settled reports whether the service runs exactly want: the same revision
// ID, want.Replicas desired and running, nothing else running. A stop
// (want.IsStop) is settled when nothing runs.
func (s ServiceState) Settled(want Revision) bool {
	if want.IsStop() {
		return s.Running == 0 && s.Other == 0
	}
	return s.Revision.ID == want.ID && s.Revision.Replicas == want.Replicas &&
		s.Running == want.Replicas && s.Other == 0
}

// States maps a service name to its state. A service that runs nothing is
// absent (locally) or present with nothing running (ECS).
type States map[string]ServiceState

// Revisions is the snapshot a restore returns to: every service that runs
// something, at its revision.
func (ss States) Revisions() Revisions {
	out := Revisions{}
	for n, s := range ss {
		if s.Running > 0 && !s.Revision.IsStop() {
			out[n] = s.Revision
		}
	}
	return out
}

// Deployer runs the services.
type Deployer interface {
	// Prepare registers what a release will run, one revision per artifact
	// (services and SeederImage alike), before anything runs it: on ECS a
	// task definition revision per service (and for the seeder) with the
	// artifact's digest; locally the digest reference. It is idempotent:
	// preparing the same artifacts again returns the same IDs (ECS reuses a
	// task definition revision that already holds that image). A service's
	// revision carries its desired count; the seeder's has 0. Every artifact
	// must be Present.
	Prepare(ctx context.Context, arts Artifacts) (Revisions, error)
	// Roll moves each listed service to its revision — keeping the old
	// replicas until new ones are up — and stops the services whose revision
	// IsStop; services not listed are left alone. It returns when the
	// backend considers the rollout over (or failed). It need not check the
	// outcome: the pipeline reads Current after every Roll and fails the
	// step on any difference. Deploy, restore and rollback are all a Roll.
	Roll(ctx context.Context, revs Revisions) error
	// Current reports every service's state.
	Current(ctx context.Context) (States, error)
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
	// PreviousVersion and Previous are what ran before it: `rollback
	// previous` returns to PreviousVersion.
	PreviousVersion string    `json:"previous_version,omitempty"`
	Previous        Revisions `json:"previous"`
	// Last describes the most recent attempt, successful or not.
	Last Attempt `json:"last"`
}

// Restore outcomes, in Attempt.Restore.
const (
	// RestoreComplete: every service is back on what it ran before (or
	// stopped when it ran nothing).
	RestoreComplete = "complete"
	// RestorePartial: the restore failed or some service did not settle;
	// Attempt.Left says what runs where.
	RestorePartial = "partial"
)

// Attempt is one release or rollback attempt.
type Attempt struct {
	Kind     string    `json:"kind"` // "release", "rollback" or "deploy"
	Version  string    `json:"version"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Result is "succeeded" or "failed".
	Result string `json:"result"`
	// FailedStep and Error are set when Result is "failed".
	FailedStep string `json:"failed_step,omitempty"`
	Error      string `json:"error,omitempty"`
	// RolledBack is true when every service was restored after the failure
	// (Restore is RestoreComplete).
	RolledBack bool `json:"rolled_back,omitempty"`
	// Restore is RestoreComplete, RestorePartial, or "" when nothing was
	// restored (the failure came before any service was touched).
	Restore string `json:"restore,omitempty"`
	// Left is what each service ran after a partial restore.
	Left States `json:"left,omitempty"`
	// UI is what the browser saw in the attempt's Health step (nil when no
	// browser checked the page): the navigation timing and where the
	// screenshot is kept.
	UI *UICheck `json:"ui,omitempty"`
}

// Lease is who holds an environment's release lock, and until when.
type Lease struct {
	Holder string    `json:"holder"`
	Since  time.Time `json:"since"`
	// Expires is when the lease lapses unless renewed. A lapsed lease that
	// is still stored means its holder died without unlocking (AWS); it is
	// reported, never broken silently.
	Expires time.Time `json:"expires"`
}

func (l Lease) String() string {
	return fmt.Sprintf("%s since %s (lease until %s)", l.Holder,
		l.Since.UTC().Format(time.RFC3339), l.Expires.UTC().Format(time.RFC3339))
}

// Held is a lease this process holds.
type Held interface {
	// Lease is the lease as last taken or renewed.
	Lease() Lease
	// Renew extends the lease by its TTL from now. When someone broke it in
	// between (`<env>:unlock`), the error wraps ErrLeaseLost.
	Renew(ctx context.Context) error
	// Unlock gives the lease up; unlocking twice is a no-op.
	Unlock(ctx context.Context) error
}

// LockedError is a refused Lock: it wraps ErrLocked, and ErrStaleLease too
// when the lease has expired.
type LockedError struct {
	Lease Lease
	// Stale: the lease expired without being unlocked; only `<env>:unlock`
	// (Store.Break) removes it.
	Stale bool
	// Where says where the lease is kept (a file, an SSM parameter).
	Where string
}

func (e *LockedError) Error() string {
	where := ""
	if e.Where != "" {
		where = " (" + e.Where + ")"
	}
	if e.Stale {
		return fmt.Sprintf("a stale release lease is held by %s%s: its holder stopped renewing it; check it no longer runs, then break it with <env>:unlock", e.Lease, where)
	}
	return fmt.Sprintf("held by %s%s: %s", e.Lease, where, ErrLocked)
}

// Is makes errors.Is(err, ErrLocked) and, for a stale lease,
// errors.Is(err, ErrStaleLease) true.
func (e *LockedError) Is(target error) bool {
	return target == ErrLocked || (e.Stale && target == ErrStaleLease)
}

// Store keeps the release record and the environment's release lock.
type Store interface {
	// Lock takes the environment's release lease for ttl without waiting.
	// When another holder has it, the error is a *LockedError wrapping
	// ErrLocked; when that lease has expired (its holder died without
	// unlocking — possible on AWS, not locally, where the kernel drops the
	// lock with the process) it wraps ErrStaleLease as well and the lease is
	// NOT taken over.
	Lock(ctx context.Context, holder string, ttl time.Duration) (Held, error)
	// Break removes the lease whoever holds it (`<env>:unlock`) and returns
	// the lease it removed (zero when there was none). A backend whose lock
	// cannot outlive its holder may refuse to break a live holder's lock.
	Break(ctx context.Context) (Lease, error)
	// Load returns the record; a zero Record when nothing was released yet.
	Load(ctx context.Context) (Record, error)
	// Save replaces the record.
	Save(ctx context.Context, r Record) error
}

// ErrLocked marks an operation refused because another one holds the lock.
var ErrLocked = errors.New("another release of this environment is running")

// ErrStaleLease marks a lock refused because of an expired lease that was
// never unlocked.
var ErrStaleLease = errors.New("stale release lease")

// ErrLeaseLost marks a renewal that found the lease broken or taken.
var ErrLeaseLost = errors.New("release lease lost")

// Backend is one environment's implementation of every interface, as the
// backend-neutral constructor (magefiles/internal/release/configure) takes
// it; the services manifest supplies the rest of the Pipeline.
type Backend struct {
	Builder  ImageBuilder
	Registry Registry
	Tasks    TaskRunner
	Deployer Deployer
	Prober   Prober
	Store    Store
}

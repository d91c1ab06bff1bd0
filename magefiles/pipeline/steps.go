package pipeline

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Previous is the version argument of Rollback that means "the version the
// environment ran before the last release" (Record.PreviousVersion).
const Previous = "previous"

// ---- the steps, callable alone ----

// Test runs the application's tests.
func (p *Pipeline) Test(ctx context.Context) error {
	return p.run(ctx, newOp("", StepTest, "", nil), StepTest, p.testStep)
}

// Build builds the version's images that the registry does not hold yet.
// Building a version the registry already holds entirely is refused: its
// tags are immutable, so a rebuild could never be pushed.
func (p *Pipeline) Build(ctx context.Context, version string) error {
	ctx, release, err := p.lock(ctx, "build")
	if err != nil {
		return err
	}
	defer release()
	return p.run(ctx, newOp("", StepBuild, version, nil), StepBuild, func(ctx context.Context) (bool, error) {
		arts, err := p.resolve(ctx, version, p.images())
		if err != nil {
			return false, err
		}
		missing := arts.Missing(p.images())
		if len(missing) == 0 {
			return false, fmt.Errorf("%s is already in the registry and its tags are immutable: release it as is, or ship a new version", version)
		}
		_, err = p.buildImages(ctx, version, missing)
		return false, err
	})
}

// Push pushes every image of the version built on this machine. An image
// whose tag already holds other content is refused (ErrImmutableTag).
func (p *Pipeline) Push(ctx context.Context, version string) error {
	ctx, release, err := p.lock(ctx, "push")
	if err != nil {
		return err
	}
	defer release()
	return p.run(ctx, newOp("", StepPush, version, nil), StepPush, func(ctx context.Context) (bool, error) {
		imgs, err := p.builtImages(ctx, version, p.images())
		if err != nil {
			return false, err
		}
		return false, p.pushImages(ctx, imgs, Artifacts{})
	})
}

// Migrate runs the version's migration task (its image must be in the
// registry) from a prepared revision.
func (p *Pipeline) Migrate(ctx context.Context, version string) error {
	ctx, release, err := p.lock(ctx, "migrate")
	if err != nil {
		return err
	}
	defer release()
	return p.run(ctx, newOp("", StepMigrate, version, nil), StepMigrate, func(ctx context.Context) (bool, error) {
		revs, err := p.resolveAndPrepare(ctx, version, []string{p.Migration.Service})
		if err != nil {
			return false, err
		}
		return false, p.migrateStep(ctx, revs)
	})
}

// Deploy rolls every service to the version (its images must be in the
// registry); a failed rollout restores every service.
func (p *Pipeline) Deploy(ctx context.Context, version string) error {
	ctx, release, err := p.lock(ctx, "deploy")
	if err != nil {
		return err
	}
	defer release()
	return p.rollVersion(ctx, newOp("", "deploy", version, nil), false)
}

// Health runs the health checks against the public entry.
func (p *Pipeline) Health(ctx context.Context) error {
	o := newOp("", StepHealth, "", nil)
	return p.run(ctx, o, StepHealth, func(ctx context.Context) (bool, error) {
		return false, p.healthStep(ctx, o)
	})
}

// Seed runs the version's seeder task and checks its fingerprint.
func (p *Pipeline) Seed(ctx context.Context, version string) error {
	if p.Seeder == nil {
		return &StepError{Step: StepSeed, Err: fmt.Errorf("the %s environment has no seeder", p.Env)}
	}
	ctx, release, err := p.lock(ctx, "seed")
	if err != nil {
		return err
	}
	defer release()
	return p.run(ctx, newOp("", StepSeed, version, nil), StepSeed, func(ctx context.Context) (bool, error) {
		revs, err := p.resolveAndPrepare(ctx, version, []string{SeederImage})
		if err != nil {
			return false, err
		}
		return false, p.seedStep(ctx, revs)
	})
}

// Status returns the release record and what the services run now.
func (p *Pipeline) Status(ctx context.Context) (Record, States, error) {
	rec, err := p.Store.Load(ctx)
	if err != nil {
		return Record{}, nil, fmt.Errorf("status of %s: %w", p.Env, err)
	}
	cur, err := p.Deployer.Current(ctx)
	if err != nil {
		return rec, nil, fmt.Errorf("status of %s: %w", p.Env, err)
	}
	return rec, cur, nil
}

// ---- release and rollback ----

// Release runs Test → Build → Push → Prepare → Migrate → Deploy → Health →
// (Seed) for the version. The version must have been validated by the
// caller.
func (p *Pipeline) Release(ctx context.Context, version string, opts ReleaseOptions) (Report, error) {
	rep := Report{Version: version}
	if opts.Seed && p.Seeder == nil {
		return rep, fmt.Errorf("release of %s: the environment has no seeder", p.Env)
	}
	ctx, release, err := p.lock(ctx, "release")
	if err != nil {
		return rep, err
	}
	defer release()
	o := newOp("release", "release", version, &rep)
	p.logf("release %s to %s", version, p.Env)
	err = p.release(ctx, o, opts)
	rep.Total = time.Since(o.started)
	if err != nil {
		p.logf("release %s to %s FAILED after %s: %s", version, p.Env, round(rep.Total), rep.Summary())
		return rep, err
	}
	p.logf("release %s to %s done: %s", version, p.Env, rep.Summary())
	return rep, nil
}

func (p *Pipeline) release(ctx context.Context, o *op, opts ReleaseOptions) error {
	version := o.version
	if err := p.run(ctx, o, StepTest, p.testStep); err != nil {
		return p.recordFailure(ctx, o, err, restoreOutcome{})
	}

	// One question to the registry decides Build and Push, and its answer
	// (the artifacts) is carried through every later step.
	images := p.images()
	var arts Artifacts
	var built []Image
	if err := p.run(ctx, o, StepBuild, func(ctx context.Context) (bool, error) {
		var err error
		if arts, err = p.resolve(ctx, version, images); err != nil {
			return false, err
		}
		missing := arts.Missing(images)
		if len(missing) == 0 {
			o.rep.Reused = true
			p.logf("    %s is already in the registry: not rebuilt, its images are deployed", version)
			return true, nil
		}
		built, err = p.buildImages(ctx, version, missing)
		return false, err
	}); err != nil {
		return p.recordFailure(ctx, o, err, restoreOutcome{})
	}
	if err := p.run(ctx, o, StepPush, func(ctx context.Context) (bool, error) {
		if len(built) == 0 {
			return true, nil
		}
		return false, p.pushImages(ctx, built, arts)
	}); err != nil {
		return p.recordFailure(ctx, o, err, restoreOutcome{})
	}

	// What the release runs is registered once; the migration, the deploy
	// and the seed run exactly these revisions.
	names := append([]string(nil), p.Services...)
	if !contains(names, p.Migration.Service) {
		names = append(names, p.Migration.Service)
	}
	if opts.Seed {
		names = append(names, SeederImage)
	}
	var revs Revisions
	if err := p.run(ctx, o, StepPrepare, func(ctx context.Context) (bool, error) {
		var err error
		revs, err = p.prepare(ctx, arts, names)
		return false, err
	}); err != nil {
		return p.recordFailure(ctx, o, err, restoreOutcome{})
	}

	if err := p.run(ctx, o, StepMigrate, func(ctx context.Context) (bool, error) {
		return false, p.migrateStep(ctx, revs)
	}); err != nil {
		return p.recordFailure(ctx, o, err, restoreOutcome{})
	}

	if err := p.rollAndCheck(ctx, o, p.serviceRevisions(revs), true); err != nil {
		return err
	}

	if opts.Seed {
		if err := p.run(ctx, o, StepSeed, func(ctx context.Context) (bool, error) {
			return false, p.seedStep(ctx, revs)
		}); err != nil {
			// No rollback: the services are healthy on the new version and the
			// seed is idempotent — fix the cause and re-run it.
			return p.recordFailure(ctx, o, err, restoreOutcome{})
		}
	}
	return nil
}

// Rollback redeploys an earlier version's images (they must be in the
// registry) and checks health; a failure restores what ran before. The
// version Previous means the one recorded before the last release.
func (p *Pipeline) Rollback(ctx context.Context, version string) (Report, error) {
	rep := Report{Version: version}
	ctx, release, err := p.lock(ctx, "rollback")
	if err != nil {
		return rep, err
	}
	defer release()
	if version == Previous {
		rec, err := p.Store.Load(ctx)
		if err != nil {
			return rep, fmt.Errorf("rollback of %s: reading the release record: %w", p.Env, err)
		}
		if rec.PreviousVersion == "" {
			return rep, fmt.Errorf("rollback of %s: the release record has no previous version (nothing was released before %q): name the version", p.Env, rec.Version)
		}
		version = rec.PreviousVersion
		rep.Version = version
		p.logf("previous release of %s: %s", p.Env, version)
	}
	o := newOp("rollback", "rollback", version, &rep)
	p.logf("rollback of %s to %s", p.Env, version)
	err = p.rollVersion(ctx, o, true)
	rep.Total = time.Since(o.started)
	if err != nil {
		return rep, err
	}
	p.logf("rollback of %s to %s done: %s", p.Env, version, rep.Summary())
	return rep, nil
}

// rollVersion is Deploy (and Health when withHealth) of a version whose
// images are in the registry: resolved and prepared inside the deploy step.
func (p *Pipeline) rollVersion(ctx context.Context, o *op, withHealth bool) error {
	var revs Revisions
	err := p.run(ctx, o, StepPrepare, func(ctx context.Context) (bool, error) {
		var err error
		revs, err = p.resolveAndPrepare(ctx, o.version, p.Services)
		return false, err
	})
	if err != nil {
		return p.recordFailure(ctx, o, err, restoreOutcome{})
	}
	return p.rollAndCheck(ctx, o, revs, withHealth)
}

// rollAndCheck is the Deploy step (and Health when withHealth) with the
// rollback decision: a failure of either — including a service that does not
// run its target after the roll — restores every service.
func (p *Pipeline) rollAndCheck(ctx context.Context, o *op, targets Revisions, withHealth bool) error {
	var before States
	touched := false
	err := p.run(ctx, o, StepDeploy, func(ctx context.Context) (bool, error) {
		var err error
		if before, err = p.Deployer.Current(ctx); err != nil {
			return false, fmt.Errorf("reading the current revisions: %w", err)
		}
		p.logf("    before: %s", describeStates(before))
		touched = true
		if err := p.Deployer.Roll(ctx, targets); err != nil {
			return false, err
		}
		return false, p.verify(ctx, targets)
	})
	if err == nil && withHealth {
		err = p.run(ctx, o, StepHealth, func(ctx context.Context) (bool, error) {
			return false, p.healthStep(ctx, o)
		})
	}
	if err != nil {
		var out restoreOutcome
		if touched {
			out = p.restore(ctx, before)
			if out.err != nil {
				err = fmt.Errorf("%w; restoring the previous revisions failed too: %w", err, out.err)
			}
		}
		if o.rep != nil {
			o.rep.RolledBack = out.status == RestoreComplete
			o.rep.Restore, o.rep.Left = out.status, out.left
		}
		return p.recordFailure(ctx, o, err, out)
	}

	rec, lerr := p.Store.Load(ctx)
	if lerr != nil {
		p.logf("warning: reading the release record: %v", lerr)
	}
	if rec.Version != o.version {
		rec.PreviousVersion = rec.Version
		rec.Previous = before.Revisions()
	}
	rec.Version = o.version
	rec.Revisions = targets
	rec.Last = p.attempt(o, nil, restoreOutcome{})
	if serr := p.Store.Save(ctx, rec); serr != nil {
		p.logf("warning: saving the release record: %v", serr)
	}
	return nil
}

// verify reads what runs and compares every target with it.
func (p *Pipeline) verify(ctx context.Context, targets Revisions) error {
	states, err := p.Deployer.Current(ctx)
	if err != nil {
		return fmt.Errorf("reading what runs after the roll: %w", err)
	}
	return mismatch(states, targets)
}

func mismatch(states States, targets Revisions) error {
	var bad []string
	for _, n := range sortedNames(targets) {
		want := targets[n]
		st := states[n]
		if st.Settled(want) {
			continue
		}
		wantS := fmt.Sprintf("%s ×%d", want.Version, want.Replicas)
		if want.IsStop() {
			wantS = "stopped"
		}
		bad = append(bad, fmt.Sprintf("%s runs %s, want %s", n, describeState(st), wantS))
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrNotSettled, strings.Join(bad, "; "))
	}
	return nil
}

// restoreOutcome is what a restore achieved.
type restoreOutcome struct {
	status string // RestoreComplete, RestorePartial, "" (not attempted)
	left   States // after a partial restore
	err    error
}

// restore puts every service back on what it ran before and stops a service
// that ran nothing. It runs even when ctx was cancelled (an interrupted
// release must not leave services half-rolled), under the deploy timeout,
// and checks the outcome as a deploy is checked.
func (p *Pipeline) restore(ctx context.Context, before States) restoreOutcome {
	snap := before.Revisions()
	targets := Revisions{}
	var stopped []string
	for _, s := range p.Services {
		if r, ok := snap[s]; ok {
			targets[s] = r
		} else {
			targets[s] = Stopped(s)
			stopped = append(stopped, s)
		}
	}
	p.logf("==> restore: putting the services back on %s", describe(snap))
	if len(stopped) > 0 {
		p.logf("    stopping what ran nothing before this release: %s", strings.Join(stopped, ", "))
	}
	start := time.Now()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.Timeouts.of(StepDeploy))
	defer cancel()
	rollErr := p.Deployer.Roll(rctx, targets)
	states, cerr := p.Deployer.Current(rctx)
	var err error
	switch {
	case cerr != nil:
		err = fmt.Errorf("reading what runs after the restore: %w", cerr)
	default:
		err = mismatch(states, targets)
	}
	if rollErr != nil {
		if err != nil {
			err = fmt.Errorf("%w (%w)", rollErr, err)
		} else {
			err = rollErr
		}
	}
	if err != nil {
		p.logf("    restore PARTIAL (%s): now %s", round(time.Since(start)), describeStates(states))
		return restoreOutcome{status: RestorePartial, left: states, err: err}
	}
	p.logf("    restore ok (%s)", round(time.Since(start)))
	return restoreOutcome{status: RestoreComplete}
}

func (p *Pipeline) attempt(o *op, err error, out restoreOutcome) Attempt {
	a := Attempt{Kind: o.record, Version: o.version, Started: o.started, Finished: time.Now().UTC(), Result: "succeeded", UI: o.ui}
	if err != nil {
		a.Result = "failed"
		a.Error = err.Error()
		if se, ok := asStepError(err); ok {
			a.FailedStep = se.Step
			a.Error = strings.TrimPrefix(err.Error(), strings.TrimSuffix(se.Error(), se.Err.Error()))
		}
		a.RolledBack = out.status == RestoreComplete
		a.Restore = out.status
		a.Left = out.left
	}
	return a
}

// recordFailure notes the failed attempt in the record (keeping the current
// version and revisions) and returns err.
func (p *Pipeline) recordFailure(ctx context.Context, o *op, err error, out restoreOutcome) error {
	ctx = context.WithoutCancel(ctx)
	rec, lerr := p.Store.Load(ctx)
	if lerr != nil {
		p.logf("warning: reading the release record: %v", lerr)
		return err
	}
	rec.Last = p.attempt(o, err, out)
	if serr := p.Store.Save(ctx, rec); serr != nil {
		p.logf("warning: saving the release record: %v", serr)
	}
	return err
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// describe prints revisions as "gateway v0.1.0 ×1, inventory v0.1.0 ×1".
func describe(revs Revisions) string {
	if len(revs) == 0 {
		return "nothing running"
	}
	parts := make([]string, 0, len(revs))
	for _, n := range sortedNames(revs) {
		parts = append(parts, fmt.Sprintf("%s %s ×%d", n, revs[n].Version, revs[n].Replicas))
	}
	return strings.Join(parts, ", ")
}

// describeStates prints states as "gateway v0.1.0 ×1, ui v0.2.0 ×2 (1 running, 1 other)".
func describeStates(ss States) string {
	var parts []string
	for _, n := range sortedNames(ss) {
		if st := ss[n]; st.Running > 0 || st.Other > 0 {
			parts = append(parts, n+" "+describeState(st))
		}
	}
	if len(parts) == 0 {
		return "nothing running"
	}
	return strings.Join(parts, ", ")
}

// describeState prints one state as "v0.1.0 ×2" or, when not settled on its
// own revision, "v0.1.0 ×2 (1 running, 1 on other revisions)".
func describeState(st ServiceState) string {
	if st.Running == 0 && st.Other == 0 {
		return "nothing"
	}
	s := fmt.Sprintf("%s ×%d", st.Revision.Version, st.Revision.Replicas)
	if st.Running != st.Revision.Replicas || st.Other > 0 {
		s += fmt.Sprintf(" (%d running", st.Running)
		if st.Other > 0 {
			s += fmt.Sprintf(", %d on other revisions", st.Other)
		}
		s += ")"
	}
	return s
}

func (p *Pipeline) testStep(ctx context.Context) (bool, error) {
	if p.RunTests == nil {
		return false, fmt.Errorf("the %s environment has no test command", p.Env)
	}
	return false, p.RunTests(ctx)
}

// resolve asks the registry once for every named image of the version.
func (p *Pipeline) resolve(ctx context.Context, version string, names []string) (Artifacts, error) {
	arts, err := p.Registry.Resolve(ctx, version, names)
	if err != nil {
		return nil, fmt.Errorf("asking the registry for %s: %w", version, err)
	}
	for _, n := range names {
		a, ok := arts[n]
		if !ok {
			return nil, fmt.Errorf("the registry's answer for %s lacks %s", version, n)
		}
		if a.Present() && (a.Service != n || a.Version != version || a.Ref == "") {
			return nil, fmt.Errorf("the registry answered %+v for %s:%s", a, n, version)
		}
	}
	p.logf("    the registry holds %d of the %d images of %s", len(names)-len(arts.Missing(names)), len(names), version)
	return arts, nil
}

// resolveAndPrepare is what a step called alone does first: the images must
// be in the registry; their revisions are prepared.
func (p *Pipeline) resolveAndPrepare(ctx context.Context, version string, names []string) (Revisions, error) {
	arts, err := p.resolve(ctx, version, names)
	if err != nil {
		return nil, err
	}
	if missing := arts.Missing(names); len(missing) > 0 {
		return nil, fmt.Errorf("%s:%s is not in the registry: release the version first (or build and push it)", missing[0], version)
	}
	return p.prepare(ctx, arts, names)
}

// prepare registers the named artifacts' revisions and checks the answer.
func (p *Pipeline) prepare(ctx context.Context, arts Artifacts, names []string) (Revisions, error) {
	want := Artifacts{}
	for _, n := range names {
		a := arts[n]
		if !a.Present() {
			return nil, fmt.Errorf("%s has no artifact to prepare", n)
		}
		want[n] = a
	}
	revs, err := p.Deployer.Prepare(ctx, want)
	if err != nil {
		return nil, fmt.Errorf("preparing the revisions: %w", err)
	}
	for _, n := range names {
		r, ok := revs[n]
		switch {
		case !ok || r.IsStop():
			return nil, fmt.Errorf("the backend prepared no revision for %s", n)
		case r.Service != n || r.Version != want[n].Version:
			return nil, fmt.Errorf("the backend prepared %s %s for %s %s", r.Service, r.Version, n, want[n].Version)
		case n != SeederImage && contains(p.Services, n) && r.Replicas < 1:
			return nil, fmt.Errorf("the backend prepared %s with %d replicas", n, r.Replicas)
		}
	}
	p.logf("    prepared %d revisions of %s", len(names), want[names[0]].Version)
	return revs, nil
}

// serviceRevisions keeps the services' revisions (not the seeder's).
func (p *Pipeline) serviceRevisions(revs Revisions) Revisions {
	out := Revisions{}
	for _, s := range p.Services {
		out[s] = revs[s]
	}
	return out
}

func (p *Pipeline) buildImages(ctx context.Context, version string, names []string) ([]Image, error) {
	imgs, err := p.Builder.Build(ctx, version, names)
	if err != nil {
		return nil, err
	}
	if err := sameImages(imgs, names); err != nil {
		return nil, fmt.Errorf("the builder returned %w", err)
	}
	return imgs, nil
}

func (p *Pipeline) builtImages(ctx context.Context, version string, names []string) ([]Image, error) {
	imgs, err := p.Builder.Built(ctx, version, names)
	if err != nil {
		return nil, err
	}
	if err := sameImages(imgs, names); err != nil {
		return nil, fmt.Errorf("the builder returned %w", err)
	}
	return imgs, nil
}

func sameImages(imgs []Image, names []string) error {
	if len(imgs) != len(names) {
		return fmt.Errorf("%d images for %d services", len(imgs), len(names))
	}
	for i, img := range imgs {
		if img.Service != names[i] {
			return fmt.Errorf("image %d for %q, want %q", i, img.Service, names[i])
		}
	}
	return nil
}

// pushImages pushes and records each pushed artifact into arts.
func (p *Pipeline) pushImages(ctx context.Context, imgs []Image, arts Artifacts) error {
	for _, img := range imgs {
		a, err := p.Registry.Push(ctx, img)
		if err != nil {
			return fmt.Errorf("push %s:%s: %w", img.Service, img.Version, err)
		}
		if !a.Present() || a.Ref == "" || a.Service != img.Service || a.Version != img.Version {
			return fmt.Errorf("push %s:%s: the registry reported %+v", img.Service, img.Version, a)
		}
		arts[img.Service] = a
		p.logf("    %s:%s %s", img.Service, img.Version, a.Digest)
	}
	return nil
}

func (p *Pipeline) migrateStep(ctx context.Context, revs Revisions) error {
	spec := TaskSpec{Name: "migrate", Revision: revs[p.Migration.Service], Command: p.Migration.Command}
	res, err := p.Tasks.Run(ctx, spec)
	if err != nil {
		return fmt.Errorf("running the migration task: %w", err)
	}
	if !res.Succeeded() {
		p.showLogs("migrate", res)
		return fmt.Errorf("the migration task %s; every service is left untouched", describeExit(res))
	}
	return nil
}

var fingerprintLine = regexp.MustCompile(`(?m)^fingerprint: ([0-9a-f]{64})\s*$`)

// Fingerprint returns the last `fingerprint: <64 hex>` line of a seeder's
// output, or "".
func Fingerprint(lines []string) string {
	m := fingerprintLine.FindAllStringSubmatch(strings.Join(lines, "\n"), -1)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1][1]
}

func (p *Pipeline) seedStep(ctx context.Context, revs Revisions) error {
	spec := TaskSpec{Name: "seed", Revision: revs[SeederImage], Command: p.Seeder.Command}
	res, err := p.Tasks.Run(ctx, spec)
	if err != nil {
		return fmt.Errorf("running the seeder task: %w", err)
	}
	if !res.Succeeded() {
		p.showLogs("seed", res)
		return fmt.Errorf("the seeder task %s; the services stay on the new version — fix the cause and re-run the seed", describeExit(res))
	}
	fp := Fingerprint(res.Logs)
	switch {
	case fp == "":
		p.showLogs("seed", res)
		return fmt.Errorf("the seeder printed no fingerprint line")
	case p.Seeder.ExpectedFingerprint != "" && fp != p.Seeder.ExpectedFingerprint:
		return fmt.Errorf("fingerprint %s, expected %s: the data differs from the committed dataset", fp, p.Seeder.ExpectedFingerprint)
	}
	p.logf("    fingerprint: %s", fp)
	return nil
}

func (p *Pipeline) showLogs(name string, res TaskResult) {
	if len(res.Logs) == 0 {
		p.logf("    (the %s task left no output)", name)
		return
	}
	p.logf("    last lines of the %s task:", name)
	for _, l := range res.Logs {
		p.logf("    | %s", l)
	}
}

// describeExit says how a failed task ended, e.g. "exited 1 (container
// migrate; stop EssentialContainerExited: Essential container in task exited)".
func describeExit(res TaskResult) string {
	var codes []string
	for _, c := range res.Containers {
		if c.ExitCode != 0 {
			codes = append(codes, fmt.Sprintf("exited %d (container %s", c.ExitCode, c.Name))
		}
	}
	what := "did not finish (no container exit code"
	if len(codes) > 0 {
		what = strings.Join(codes, "), ")
	}
	if res.StopCode != "" || res.StopReason != "" {
		what += fmt.Sprintf("; stop %s: %s", res.StopCode, res.StopReason)
	}
	return what + ")"
}

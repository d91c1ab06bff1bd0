package pipeline

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Rollback redeploys an earlier version's images (they must be in the
// registry) and checks health; a failure restores what ran before.
func (p *Pipeline) Rollback(ctx context.Context, version string) (Report, error) {
	rep := Report{Version: version}
	unlock, err := p.lock(ctx, "rollback")
	if err != nil {
		return rep, err
	}
	defer unlock()
	start := time.Now()
	p.logf("rollback of %s to %s", p.Env, version)
	err = p.deployAndCheck(ctx, "rollback", version, true, &rep)
	rep.Total = time.Since(start)
	if err != nil {
		return rep, err
	}
	p.logf("rollback of %s to %s done: %s", p.Env, version, rep.Summary())
	return rep, nil
}

// deployAndCheck is Deploy (and Health when withHealth) with the rollback
// decision: a failure of either restores every service to the revision it
// ran before. op is "release", "rollback" or "" (Deploy called alone).
func (p *Pipeline) deployAndCheck(ctx context.Context, op, version string, withHealth bool, rep *Report) error {
	kind := op
	if kind == "" {
		kind = "deploy"
	}
	var prev Revisions
	var haveprev bool
	err := p.run(ctx, op, rep, StepDeploy, func(ctx context.Context) (bool, error) {
		if err := p.requireInRegistry(ctx, version, p.Services); err != nil {
			return false, err
		}
		var err error
		if prev, err = p.Deployer.Current(ctx); err != nil {
			return false, fmt.Errorf("reading the current revisions: %w", err)
		}
		haveprev = true
		p.logf("    before: %s", describe(prev))
		return false, p.Deployer.Deploy(ctx, version, p.Services)
	})
	if err == nil && withHealth {
		err = p.run(ctx, op, rep, StepHealth, func(ctx context.Context) (bool, error) {
			return false, p.healthStep(ctx)
		})
	}
	if err != nil {
		rolled := false
		if haveprev {
			var rerr error
			rolled, rerr = p.restore(ctx, prev)
			if rerr != nil {
				err = fmt.Errorf("%w; restoring the previous revisions failed too: %v", err, rerr)
			}
		}
		if rep != nil {
			rep.RolledBack = rolled
		}
		return p.recordFailure(ctx, kind, version, err, rolled)
	}

	cur, cerr := p.Deployer.Current(ctx)
	if cerr != nil {
		p.logf("warning: reading the new revisions for the record: %v", cerr)
	}
	rec, lerr := p.Store.Load(ctx)
	if lerr != nil {
		p.logf("warning: reading the release record: %v", lerr)
	}
	rec.Version = version
	rec.Revisions = cur
	rec.Previous = prev
	rec.Last = p.attempt(kind, version, nil, false)
	if serr := p.Store.Save(ctx, rec); serr != nil {
		p.logf("warning: saving the release record: %v", serr)
	}
	return nil
}

// restore puts back what ran before. It runs even when ctx was cancelled
// (an interrupted release must not leave services half-rolled), under the
// deploy timeout.
func (p *Pipeline) restore(ctx context.Context, prev Revisions) (bool, error) {
	if len(prev) == 0 {
		p.logf("==> restore: nothing ran before this release; the services are left as they are")
		return false, nil
	}
	p.logf("==> restore: putting %d services back on their previous revisions (%s)", len(prev), describe(prev))
	start := time.Now()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.Timeouts.of(StepDeploy))
	defer cancel()
	if err := p.Deployer.Restore(rctx, prev); err != nil {
		p.logf("    restore FAILED (%s)", round(time.Since(start)))
		return false, err
	}
	p.logf("    restore ok (%s)", round(time.Since(start)))
	return true, nil
}

func (p *Pipeline) attempt(kind, version string, err error, rolled bool) Attempt {
	a := Attempt{Kind: kind, Version: version, Finished: time.Now().UTC(), Result: "succeeded"}
	if err != nil {
		a.Result = "failed"
		a.Error = err.Error()
		if se, ok := asStepError(err); ok {
			a.FailedStep = se.Step
			a.Error = se.Err.Error()
		}
		a.RolledBack = rolled
	}
	return a
}

// recordFailure notes the failed attempt in the record (keeping the current
// version and revisions) and returns err.
func (p *Pipeline) recordFailure(ctx context.Context, kind, version string, err error, rolled bool) error {
	rec, lerr := p.Store.Load(context.WithoutCancel(ctx))
	if lerr != nil {
		p.logf("warning: reading the release record: %v", lerr)
		return err
	}
	rec.Last = p.attempt(kind, version, err, rolled)
	if serr := p.Store.Save(context.WithoutCancel(ctx), rec); serr != nil {
		p.logf("warning: saving the release record: %v", serr)
	}
	return err
}

func asStepError(err error) (*StepError, bool) {
	for err != nil {
		if se, ok := err.(*StepError); ok {
			return se, true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return nil, false
		}
		err = u.Unwrap()
	}
	return nil, false
}

// describe prints revisions as "gateway v0.1.0 ×1, inventory v0.1.0 ×1".
func describe(revs Revisions) string {
	if len(revs) == 0 {
		return "nothing running"
	}
	names := make([]string, 0, len(revs))
	for n := range revs {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %s ×%d", n, revs[n].Version, revs[n].Replicas))
	}
	return strings.Join(parts, ", ")
}

func (p *Pipeline) testStep(ctx context.Context) (bool, error) {
	if p.RunTests == nil {
		return false, fmt.Errorf("the %s environment has no test command", p.Env)
	}
	return false, p.RunTests(ctx)
}

// missing returns the version's images the registry does not hold.
func (p *Pipeline) missing(ctx context.Context, version string) ([]string, error) {
	var out []string
	all := p.images()
	for _, name := range all {
		d, err := p.Registry.Digest(ctx, name, version)
		if err != nil {
			return nil, fmt.Errorf("asking the registry for %s:%s: %w", name, version, err)
		}
		if d == "" {
			out = append(out, name)
		}
	}
	p.logf("    the registry holds %d of the %d images of %s", len(all)-len(out), len(all), version)
	return out, nil
}

func (p *Pipeline) requireInRegistry(ctx context.Context, version string, names []string) error {
	for _, name := range names {
		d, err := p.Registry.Digest(ctx, name, version)
		if err != nil {
			return fmt.Errorf("asking the registry for %s:%s: %w", name, version, err)
		}
		if d == "" {
			return fmt.Errorf("%s:%s is not in the registry: release the version first (or build and push it)", name, version)
		}
	}
	return nil
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

func (p *Pipeline) pushImages(ctx context.Context, imgs []Image) error {
	for _, img := range imgs {
		d, err := p.Registry.Push(ctx, img)
		if err != nil {
			return fmt.Errorf("push %s:%s: %w", img.Service, img.Version, err)
		}
		if d == "" {
			return fmt.Errorf("push %s:%s: the registry reported no digest", img.Service, img.Version)
		}
		p.logf("    %s:%s %s", img.Service, img.Version, d)
	}
	return nil
}

func (p *Pipeline) migrateStep(ctx context.Context, version string) error {
	spec := TaskSpec{Name: "migrate", Image: p.Migrate.Service, Version: version, Command: p.Migrate.Command}
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

func (p *Pipeline) seedStep(ctx context.Context, version string) error {
	spec := TaskSpec{Name: "seed", Image: SeederImage, Version: version, Command: p.Seed.Command}
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
	case p.Seed.ExpectedFingerprint != "" && fp != p.Seed.ExpectedFingerprint:
		return fmt.Errorf("fingerprint %s, expected %s: the data differs from the committed dataset", fp, p.Seed.ExpectedFingerprint)
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

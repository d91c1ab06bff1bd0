package localenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
	"github.com/equiptrack/release-kit/magefiles/internal/release/manifest"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// childEnv is what the application's commands get on top of our
// environment (sh.Options.ExtraEnv): what testcontainers-go needs on this
// kind of machine (the application's integration tests use it), unless
// already set, then extra.
func childEnv(extra map[string]string) []string {
	var env []string
	for k, v := range map[string]string{
		"TESTCONTAINERS_RYUK_DISABLED": "true",
		"TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1",
	} {
		if os.Getenv(k) == "" {
			env = append(env, k+"="+v)
		}
	}
	return append(env, manifest.SortedEnv(extra)...)
}

// RunTests runs the manifest's test command (the quick one when
// Options.QuickTests) in the application directory.
func (e *Env) RunTests(ctx context.Context) error {
	argv := e.m.Test.Command
	if e.o.QuickTests && len(e.m.Test.Quick) > 0 {
		argv = e.m.Test.Quick
	}
	e.logf("    %s (in %s)", joinArgs(argv), e.m.Dir)
	return e.runLogged(ctx, e.m.Dir, childEnv(nil), argv)
}

// Build runs the manifest's prebuild steps, then builds each named service's
// image (and the seeder's) tagged ImageRef(service, version).
func (e *Env) Build(ctx context.Context, version string, services []string) ([]pipeline.Image, error) {
	needApp := false
	for _, s := range services {
		if s != pipeline.SeederImage {
			needApp = true
		}
	}
	if needApp {
		if err := e.Prebuild(ctx); err != nil {
			return nil, err
		}
	}
	// The images are independent: a few at a time (the engine does the work;
	// more would only thrash a small machine).
	out := make([]pipeline.Image, len(services))
	errs := make([]error, len(services))
	sem := make(chan struct{}, 3)
	var wg sync.WaitGroup
	for i, name := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			ref := e.ImageRef(name, version)
			var err error
			if name == pipeline.SeederImage {
				err = e.buildSeeder(ctx, ref, version)
			} else {
				err = e.buildService(ctx, name, ref, version)
			}
			if err != nil {
				errs[i] = fmt.Errorf("image %s: %w", name, err)
				return
			}
			e.logf("    built %s (%s)", ref, since(start))
			out[i] = pipeline.Image{Service: name, Version: version, Ref: ref}
		}()
	}
	wg.Wait()
	if err := joinErrors(errs); err != nil {
		return nil, err
	}
	return out, nil
}

func (e *Env) buildService(ctx context.Context, name, ref, version string) error {
	s, ok := e.m.Service(name)
	if !ok {
		return fmt.Errorf("not in the manifest")
	}
	ctxDir := filepath.Join(e.m.Dir, s.Context)
	args := []string{"build", "-q", "-t", ref, "-f", filepath.Join(ctxDir, s.Dockerfile)}
	keys := make([]string, 0, len(s.BuildArgs))
	for k := range s.BuildArgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--build-arg", k+"="+s.BuildArgs[k])
	}
	args = append(args, labelArgs(map[string]string{LabelService: name, LabelVersion: version})...)
	args = append(args, ctxDir)
	_, err := cli.docker(ctx, args...)
	return err
}

// buildSeeder builds the seeder's image from the context every backend
// prepares alike (manifest.SeederContext).
func (e *Env) buildSeeder(ctx context.Context, ref, version string) error {
	dir, cleanup, err := manifest.SeederContext(ctx, func(ctx context.Context, argv ...string) error {
		return e.runLogged(ctx, "", childEnv(map[string]string{"CGO_ENABLED": "0"}), argv)
	})
	if err != nil {
		return err
	}
	defer cleanup()
	args := append([]string{"build", "-q", "-t", ref}, labelArgs(map[string]string{LabelService: pipeline.SeederImage, LabelVersion: version})...)
	_, err = cli.docker(ctx, append(args, dir)...)
	return err
}

// Prebuild runs the manifest's prebuild steps in the application directory.
func (e *Env) Prebuild(ctx context.Context) error {
	for i, p := range e.m.Prebuild {
		start := time.Now()
		if err := e.runLogged(ctx, e.m.Dir, childEnv(p.Env), p.Command); err != nil {
			return fmt.Errorf("prebuild[%d]: %w", i, err)
		}
		e.logf("    prebuild %s (%s)", joinArgs(p.Command), since(start))
	}
	return nil
}

// Built returns the version's images built on this machine.
func (e *Env) Built(ctx context.Context, version string, services []string) ([]pipeline.Image, error) {
	var out []pipeline.Image
	for _, name := range services {
		ref := e.ImageRef(name, version)
		if _, err := cli.docker(ctx, "image", "inspect", "--format", "{{.Id}}", ref); err != nil {
			return nil, fmt.Errorf("%s is not built on this machine: build it first", ref)
		}
		out = append(out, pipeline.Image{Service: name, Version: version, Ref: ref})
	}
	return out, nil
}

// runLogged runs a command of the application's or the kit's build,
// streaming its output when verbose; otherwise its end is in the error.
func (e *Env) runLogged(ctx context.Context, dir string, env, argv []string) error {
	_, err := sh.Options{Dir: dir, ExtraEnv: env, Stream: e.o.Verbose, Combined: true, TailLines: 12, Join: " | "}.Run(ctx, argv[0], argv[1:]...)
	return err
}

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }

func joinArgs(argv []string) string {
	s := ""
	for i, a := range argv {
		if i > 0 {
			s += " "
		}
		if a == "" || containsSpace(a) {
			a = fmt.Sprintf("%q", a)
		}
		s += a
	}
	return s
}

func containsSpace(s string) bool {
	for _, r := range s {
		if r == ' ' || r == '\t' {
			return true
		}
	}
	return false
}

package awsenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
	"github.com/equiptrack/release-kit/magefiles/internal/release/manifest"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// DockerBuilder builds an environment's images with docker, tagged with its
// ECR repositories: the version, and `latest` too in dev (mutable tags).
type DockerBuilder struct {
	Env      *Env
	Manifest *manifest.Manifest
	// Latest also tags every image `latest` (dev).
	Latest bool
	// Verbose streams the builds' output.
	Verbose bool
}

// platform is the platform the task definition Terraform registered
// declares (runtimePlatform), linux/amd64 when it declares none — or when
// there is none yet (up's first build, from OpenRegistry: the kit's task
// definitions declare X86_64, terraform/modules/ecs-service).
func (b *DockerBuilder) platform(ctx context.Context, name string) (string, error) {
	sf, ok := b.Env.Facts.image(name)
	if !ok {
		return "", fmt.Errorf("%s is not in the %s environment's facts", name, b.Env.o.Env)
	}
	if sf.TaskDefinition == "" {
		return "linux/amd64", nil
	}
	td, err := b.Env.tds.get(ctx, sf.TaskDefinition)
	if err != nil {
		return "", err
	}
	arch := "amd64"
	if td.RuntimePlatform != nil && td.RuntimePlatform.CpuArchitecture == ecstypes.CPUArchitectureArm64 {
		arch = "arm64"
	}
	return "linux/" + arch, nil
}

// Build runs the manifest's prebuild steps for the target platform, then
// builds each image.
func (b *DockerBuilder) Build(ctx context.Context, version string, services []string) ([]pipeline.Image, error) {
	var out []pipeline.Image
	prebuilt := ""
	for _, name := range services {
		plat, err := b.platform(ctx, name)
		if err != nil {
			return nil, err
		}
		ref, err := b.Env.ImageRef(name, version)
		if err != nil {
			return nil, err
		}
		tags := []string{ref}
		if b.Latest {
			tags = append(tags, strings.TrimSuffix(ref, ":"+version)+":latest")
		}
		start := time.Now()
		if name == pipeline.SeederImage {
			err = b.buildSeeder(ctx, plat, tags)
		} else {
			if prebuilt != plat {
				if err := b.prebuild(ctx, plat); err != nil {
					return nil, err
				}
				prebuilt = plat
			}
			err = b.buildService(ctx, name, plat, tags)
		}
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", name, err)
		}
		b.Env.logf("    built %s for %s (%s)", ref, plat, sh.Since(start))
		out = append(out, pipeline.Image{Service: name, Version: version, Ref: ref})
	}
	return out, nil
}

func (b *DockerBuilder) run(ctx context.Context, dir string, env []string, argv ...string) error {
	_, err := sh.Options{Dir: dir, Env: env, Stream: b.Verbose, Combined: true}.Run(ctx, argv[0], argv[1:]...)
	return err
}

func goEnv(plat string, extra map[string]string) []string {
	env := os.Environ()
	_, arch, _ := strings.Cut(plat, "/")
	env = append(env, "GOOS=linux", "GOARCH="+arch)
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

func (b *DockerBuilder) prebuild(ctx context.Context, plat string) error {
	for i, p := range b.Manifest.Prebuild {
		if err := b.run(ctx, b.Manifest.Dir, goEnv(plat, p.Env), p.Command...); err != nil {
			return fmt.Errorf("prebuild[%d]: %w", i, err)
		}
	}
	return nil
}

func (b *DockerBuilder) buildService(ctx context.Context, name, plat string, tags []string) error {
	s, ok := b.Manifest.Service(name)
	if !ok {
		return errors.New("not in the manifest")
	}
	dir := filepath.Join(b.Manifest.Dir, s.Context)
	args := []string{"docker", "build", "-q", "--platform", plat, "-f", filepath.Join(dir, s.Dockerfile)}
	for _, t := range tags {
		args = append(args, "-t", t)
	}
	keys := make([]string, 0, len(s.BuildArgs))
	for k := range s.BuildArgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--build-arg", k+"="+s.BuildArgs[k])
	}
	return b.run(ctx, "", nil, append(args, dir)...)
}

// buildSeeder builds the seeder's image for plat from the context every
// backend prepares alike (manifest.SeederContext).
func (b *DockerBuilder) buildSeeder(ctx context.Context, plat string, tags []string) error {
	dir, cleanup, err := manifest.SeederContext(ctx, func(ctx context.Context, argv ...string) error {
		return b.run(ctx, "", goEnv(plat, map[string]string{"CGO_ENABLED": "0"}), argv...)
	})
	if err != nil {
		return err
	}
	defer cleanup()
	args := []string{"docker", "build", "-q", "--platform", plat}
	for _, t := range tags {
		args = append(args, "-t", t)
	}
	return b.run(ctx, "", nil, append(args, dir)...)
}

// Built returns the version's images built on this machine.
func (b *DockerBuilder) Built(ctx context.Context, version string, services []string) ([]pipeline.Image, error) {
	var out []pipeline.Image
	for _, name := range services {
		ref, err := b.Env.ImageRef(name, version)
		if err != nil {
			return nil, err
		}
		if _, err := sh.Output(ctx, "docker", "image", "inspect", "--format", "{{.Id}}", ref); err != nil {
			return nil, fmt.Errorf("%s is not built on this machine: build it first", ref)
		}
		out = append(out, pipeline.Image{Service: name, Version: version, Ref: ref})
	}
	return out, nil
}

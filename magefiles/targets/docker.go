package targets

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/docker/baseimage"
	"github.com/equiptrack/release-kit/magefiles/internal/docker/dockerup"
)

// Up makes Docker and the kit's data image (PostgreSQL 15 + Redis) available:
// installs docker.io and starts dockerd when missing, then builds the image
// once per recipe (about a minute; cached under the kit's cache directory).
// Env: DOCKER_HOST (an engine to use instead), EQUIPTRACK_KIT_CACHE (cache
// root), EQUIPTRACK_DEBIAN_MIRROR (mmdebstrap mirror).
func (Docker) Up(ctx context.Context) error {
	t0 := time.Now()
	if err := dockerup.Ensure(ctx, logf); err != nil {
		return fmt.Errorf("docker:up: %w", err)
	}
	logf("docker: engine %s (%s)", dockerup.ServerVersion(ctx), time.Since(t0).Round(10*time.Millisecond))
	t1 := time.Now()
	ref, err := ensureDataImage(ctx)
	if err != nil {
		return fmt.Errorf("docker:up: %w", err)
	}
	took := time.Since(t1).Round(10 * time.Millisecond)
	info, err := baseimage.Describe(ctx, ref)
	if err != nil {
		return fmt.Errorf("docker:up: %w", err)
	}
	logf("docker: data image %s (%d MB: PostgreSQL %s, Redis %s) ready in %s",
		ref, info.SizeMB, info.PostgreSQL, info.Redis, took)
	return nil
}

// ensureDataImage builds (or finds) the data image, from
// $EQUIPTRACK_DEBIAN_MIRROR when set. The library's own calls (the stores,
// the test containers) then find it: the mirror is not part of its tag.
func ensureDataImage(ctx context.Context) (string, error) {
	r := baseimage.DataRecipe()
	if m := os.Getenv(baseimage.MirrorEnv); m != "" {
		r.Mirror = m
	}
	return baseimage.Ensure(ctx, r, logf)
}

// Images lists the kit's local data images, marking the one today's recipe
// makes and those whose root filesystem is cached (re-imported in seconds).
// Env: DOCKER_HOST, EQUIPTRACK_KIT_CACHE.
func (Docker) Images(ctx context.Context) error {
	if err := dockerup.Ensure(ctx, logf); err != nil {
		return fmt.Errorf("docker:images: %w", err)
	}
	imgs, err := baseimage.List(ctx)
	if err != nil {
		return fmt.Errorf("docker:images: %w", err)
	}
	if len(imgs) == 0 {
		logf("no data image yet (want %s): run docker:up", baseimage.DataRecipe().Ref())
		return nil
	}
	for _, img := range imgs {
		mark := ""
		if img.Current {
			mark += " current"
		}
		if img.Cached {
			mark += " cached"
		}
		logf("%-36s %8s  %-16s%s", img.Ref, img.Size, img.Created, mark)
	}
	return nil
}

// Prune removes the kit's data images and cached root filesystems made from
// older recipes (images still used by a container stay, with a message).
// Env: DOCKER_HOST, EQUIPTRACK_KIT_CACHE.
func (Docker) Prune(ctx context.Context) error {
	if err := dockerup.Ensure(ctx, logf); err != nil {
		return fmt.Errorf("docker:prune: %w", err)
	}
	if err := baseimage.Prune(ctx, logf); err != nil {
		return fmt.Errorf("docker:prune: %w", err)
	}
	return nil
}

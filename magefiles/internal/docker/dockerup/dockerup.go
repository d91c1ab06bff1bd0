// Package dockerup makes a Docker engine available on a machine that may start
// with none: it installs Debian's docker.io package when dockerd is missing,
// starts dockerd when no engine answers (overlay2, falling back to vfs) and
// waits for it. It is idempotent and silent when an engine already answers,
// as on a developer laptop.
package dockerup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/cachedir"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/filelock"
	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// startTimeout bounds the wait for a freshly started dockerd.
const startTimeout = 90 * time.Second

// Drivers are the storage drivers tried in order: overlay2 starts containers in
// well under a second; vfs always works but copies whole root filesystems.
var Drivers = []string{"overlay2", "vfs"}

// Ensure returns nil once `docker version` reaches a server.
func Ensure(ctx context.Context, logf sh.Logf) error {
	if logf == nil {
		logf = sh.Discard
	}
	if ServerVersion(ctx) != "" {
		return nil
	}
	// Several test packages may call Ensure at once: one of them does the work.
	unlock, err := lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if ServerVersion(ctx) != "" {
		return nil
	}
	if os.Getenv("DOCKER_HOST") != "" {
		return fmt.Errorf("docker: no engine answers at DOCKER_HOST=%s", os.Getenv("DOCKER_HOST"))
	}
	if _, err := exec.LookPath("dockerd"); err != nil {
		if err := install(ctx, logf); err != nil {
			return err
		}
	}
	return start(ctx, logf)
}

// ServerVersion returns the engine's version, or "" when none answers.
func ServerVersion(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := sh.Output(ctx, "docker", "version", "--format", "{{.Server.Version}}")
	if err != nil {
		return ""
	}
	return out
}

// TestcontainersEnv sets what testcontainers-go needs on this kind of machine,
// unless the caller set it already: Ryuk off (it cannot be pulled) and the
// host override, without which testcontainers dials the container gateway of
// /.dockerenv, which is unreachable here.
func TestcontainersEnv() {
	for k, v := range map[string]string{
		"TESTCONTAINERS_RYUK_DISABLED": "true",
		"TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1",
	} {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
}

func install(ctx context.Context, logf sh.Logf) error {
	if _, err := exec.LookPath("apt-get"); err != nil {
		return errors.New("docker: dockerd is not installed and apt-get is not available: install Docker")
	}
	if os.Geteuid() != 0 {
		return errors.New("docker: dockerd is not installed; run as root to let the kit install docker.io, or install Docker")
	}
	logf("docker: installing Debian's docker.io package (once per machine)…")
	t0 := time.Now()
	if err := AptInstall(ctx, "docker.io"); err != nil {
		return fmt.Errorf("docker: %w", err)
	}
	logf("docker: docker.io installed in %s", time.Since(t0).Round(time.Second))
	return nil
}

// AptInstall installs Debian packages, refreshing the package lists once when
// the first attempt fails (a fresh machine has none).
func AptInstall(ctx context.Context, pkgs ...string) error {
	apt := sh.Options{ExtraEnv: []string{"DEBIAN_FRONTEND=noninteractive"}, Combined: true}
	run := func(args ...string) error {
		_, err := apt.Run(ctx, "apt-get", args...)
		return err
	}
	installArgs := append([]string{"install", "-y", "-qq", "--no-install-recommends"}, pkgs...)
	if err := run(installArgs...); err == nil {
		return nil
	}
	if err := run("update", "-qq"); err != nil {
		return err
	}
	return run(installArgs...)
}

func start(ctx context.Context, logf sh.Logf) error {
	dir, err := cachedir.Dir("dockerd")
	if err != nil {
		return err
	}
	var errs []error
	for _, driver := range Drivers {
		logPath := filepath.Join(dir, "dockerd-"+driver+".log")
		logf("docker: starting dockerd (storage driver %s, log %s)…", driver, logPath)
		t0 := time.Now()
		err := startWith(ctx, driver, logPath)
		if err == nil {
			logf("docker: engine %s ready in %s", ServerVersion(ctx), time.Since(t0).Round(100*time.Millisecond))
			return nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", driver, err))
		if ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("docker: could not start dockerd: %w", errors.Join(errs...))
}

func startWith(ctx context.Context, driver, logPath string) error {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	// Not CommandContext: the daemon must outlive this process. Setsid detaches
	// it from our process group so Ctrl-C on a target does not stop it.
	cmd := exec.Command("dockerd", "--storage-driver="+driver)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			b, _ := os.ReadFile(logPath)
			return fmt.Errorf("dockerd exited (%v):\n%s", err, sh.Tail(string(b), 8))
		case <-deadline.C:
			_ = cmd.Process.Kill()
			return fmt.Errorf("no answer within %s (log: %s)", startTimeout, logPath)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			if ServerVersion(ctx) != "" {
				return nil
			}
		}
	}
}

func lock(ctx context.Context) (func(), error) {
	dir, err := cachedir.Dir("dockerd")
	if err != nil {
		return nil, err
	}
	unlock, err := filelock.Lock(ctx, filepath.Join(dir, "ensure.lock"), nil)
	if err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	return unlock, nil
}

// EnsurePackage returns what find locates, installing the Debian package
// pkg first when find locates nothing (root and apt-get required). One lock
// for every such install: apt-get cannot run twice at once, and two test
// processes may want the same tool.
func EnsurePackage(ctx context.Context, logf sh.Logf, pkg string, find func() string) (string, error) {
	if p := find(); p != "" {
		return p, nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
		return "", fmt.Errorf("%s: not installed, and the kit can install Debian's %s only as root with apt-get: install it", pkg, pkg)
	}
	dir, err := cachedir.Dir("apt")
	if err != nil {
		return "", err
	}
	unlock, err := filelock.Lock(ctx, filepath.Join(dir, "install.lock"), nil)
	if err != nil {
		return "", fmt.Errorf("%s: %w", pkg, err)
	}
	defer unlock()
	if p := find(); p != "" {
		return p, nil // installed while we waited
	}
	logf("%s: installing Debian's %s package (once per machine)…", pkg, pkg)
	t0 := time.Now()
	if err := AptInstall(ctx, pkg); err != nil {
		return "", fmt.Errorf("%s: %w", pkg, err)
	}
	logf("%s: installed in %s", pkg, time.Since(t0).Round(time.Second))
	if p := find(); p != "" {
		return p, nil
	}
	return "", fmt.Errorf("%s: installed, yet not found", pkg)
}

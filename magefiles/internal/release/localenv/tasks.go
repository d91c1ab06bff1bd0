package localenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// TaskLogLines is how many of a task's last output lines are kept.
const TaskLogLines = 60

// Run runs a one-off task as a container on the environment's network from
// the version's image in the registry (by digest), waits for it to stop
// (within ctx), and reports its exit code and last output lines. The
// command replaces the image's CMD and keeps its ENTRYPOINT, as ECS's
// containerOverrides.command does, so one manifest means the same everywhere.
func (e *Env) Run(ctx context.Context, spec pipeline.TaskSpec) (pipeline.TaskResult, error) {
	d, err := e.Digest(ctx, spec.Image, spec.Version)
	if err != nil {
		return pipeline.TaskResult{}, err
	}
	if d == "" {
		return pipeline.TaskResult{}, fmt.Errorf("%s:%s is not in the registry", spec.Image, spec.Version)
	}
	ref := e.digestRef(spec.Image, d)
	name := e.containerName(spec.Name, strconv.FormatInt(time.Now().UnixNano(), 36))
	args := []string{"run", "-d", "--name", name, "--network", e.network()}
	args = append(args, labels(LabelEnv, e.o.Name, LabelRole, "task", LabelService, spec.Image, LabelVersion, spec.Version, LabelRevision, ref)...)
	env := e.serviceEnv(spec.Version)
	if spec.Image == pipeline.SeederImage {
		pw, err := e.adminPassword()
		if err != nil {
			return pipeline.TaskResult{}, err
		}
		env = append(env, "SEED_ADMIN_PASSWORD="+pw)
	}
	for _, kv := range env {
		args = append(args, "-e", kv)
	}
	args = append(args, ref)
	args = append(args, spec.Command...)
	start := time.Now()
	if _, err := docker(ctx, args...); err != nil {
		return pipeline.TaskResult{}, fmt.Errorf("starting the %s task: %w", spec.Name, err)
	}
	defer func() {
		_, _ = docker(context.WithoutCancel(ctx), "rm", "-f", name)
	}()
	if _, err := docker(ctx, "wait", name); err != nil {
		logs := e.tail(ctx, name, 10)
		if ctx.Err() != nil {
			return pipeline.TaskResult{Logs: logs, StopCode: "TaskTimeout"},
				fmt.Errorf("the %s task did not stop within its step's time (%s): %w; last lines: %s", spec.Name, since(start), ctx.Err(), strings.Join(logs, " | "))
		}
		return pipeline.TaskResult{Logs: logs}, fmt.Errorf("waiting for the %s task: %w", spec.Name, err)
	}
	st, err := docker(ctx, "inspect", "--format", "{{.State.ExitCode}} {{.State.OOMKilled}}", name)
	if err != nil {
		return pipeline.TaskResult{}, err
	}
	f := strings.Fields(st)
	code, err := strconv.Atoi(f[0])
	if err != nil {
		return pipeline.TaskResult{}, fmt.Errorf("exit code of %s: %q", name, st)
	}
	res := pipeline.TaskResult{
		Containers: []pipeline.ContainerExit{{Name: spec.Name, ExitCode: code}},
		// The stop code and reason ECS would give, so messages read alike.
		StopCode:   "EssentialContainerExited",
		StopReason: "Essential container in task exited",
		Logs:       e.tail(ctx, name, TaskLogLines),
	}
	if len(f) > 1 && f[1] == "true" {
		res.StopReason = "OutOfMemoryError: container killed due to memory usage"
	}
	e.logf("    %s task exited %d (%s)", spec.Name, code, since(start))
	return res, nil
}

// adminPassword is the local admin user's password: generated once, kept in
// the state directory with mode 0600, never printed.
func (e *Env) adminPassword() (string, error) {
	if e.adminPw != "" {
		return e.adminPw, nil
	}
	path := filepath.Join(e.stateDir, "admin-password")
	if b, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(b)) > 0 {
		e.adminPw = string(bytes.TrimSpace(b))
		return e.adminPw, nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	buf := make([]byte, 18)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	pw := hex.EncodeToString(buf)
	if err := writeFile(path, []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("saving the admin password: %w", err)
	}
	e.adminPw = pw
	return pw, nil
}

// AdminPasswordFile is where the local admin password is kept.
func (e *Env) AdminPasswordFile() string { return filepath.Join(e.stateDir, "admin-password") }

// dockerCombined runs docker and returns stdout and stderr interleaved (a
// container's logs arrive on both).
func dockerCombined(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("docker %s: %v: %s", first(args, 2), err, lastLines(string(out), 3, " / "))
	}
	return string(out), nil
}

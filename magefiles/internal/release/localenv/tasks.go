package localenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// TaskLogLines is how many of a task's last output lines are kept.
const TaskLogLines = 60

// Run runs a one-off task as a container on the environment's network from
// its prepared revision (the image by digest), waits for it to stop
// (within ctx), and reports its exit code and last output lines. The
// command replaces the image's CMD and keeps its ENTRYPOINT, as ECS's
// containerOverrides.command does, so one manifest means the same everywhere.
func (e *Env) Run(ctx context.Context, spec pipeline.TaskSpec) (pipeline.TaskResult, error) {
	rev := spec.Revision
	if rev.ID == "" {
		return pipeline.TaskResult{}, fmt.Errorf("the %s task has no prepared revision", spec.Name)
	}
	name := e.containerName(spec.Name, strconv.FormatInt(time.Now().UnixNano(), 36))
	env := e.serviceEnv(rev.Version)
	if rev.Service == pipeline.SeederImage {
		pw, err := e.adminPassword()
		if err != nil {
			return pipeline.TaskResult{}, err
		}
		env["SEED_ADMIN_PASSWORD"] = pw
	}
	run := runSpec{
		Name: name, Image: rev.ID, Network: e.network(),
		Labels: map[string]string{LabelEnv: e.o.Name, LabelRole: "task", LabelService: rev.Service,
			LabelVersion: rev.Version, LabelRevision: rev.ID},
		Env: env, Cmd: spec.Command,
	}
	start := time.Now()
	if err := e.eng.run(ctx, run); err != nil {
		return pipeline.TaskResult{}, fmt.Errorf("starting the %s task: %w", spec.Name, err)
	}
	defer func() {
		_ = e.eng.remove(context.WithoutCancel(ctx), name, false)
	}()
	if err := e.eng.wait(ctx, name); err != nil {
		logs := e.tail(ctx, name, 10)
		if ctx.Err() != nil {
			return pipeline.TaskResult{Logs: logs, StopCode: "TaskTimeout"},
				fmt.Errorf("the %s task did not stop within its step's time (%s): %w; last lines: %s", spec.Name, since(start), ctx.Err(), strings.Join(logs, " | "))
		}
		return pipeline.TaskResult{Logs: logs}, fmt.Errorf("waiting for the %s task: %w", spec.Name, err)
	}
	st, err := e.eng.state(ctx, name)
	if err != nil {
		return pipeline.TaskResult{}, err
	}
	res := pipeline.TaskResult{
		Containers: []pipeline.ContainerExit{{Name: spec.Name, ExitCode: st.ExitCode}},
		// The stop code and reason ECS would give, so messages read alike.
		StopCode:   "EssentialContainerExited",
		StopReason: "Essential container in task exited",
		Logs:       e.tail(ctx, name, TaskLogLines),
	}
	if st.OOMKilled {
		res.StopReason = "OutOfMemoryError: container killed due to memory usage"
	}
	e.logf("    %s task exited %d (%s)", spec.Name, st.ExitCode, since(start))
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

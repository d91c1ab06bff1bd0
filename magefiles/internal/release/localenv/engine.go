package localenv

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// engine is the Docker engine as the deployer and the task runner see it:
// the one seam between the local backend's decisions (which replica to start
// before which is stopped, what Current reports over mixed revisions, what
// is swept) and the docker CLI. The unit tests replace it with a fake.
type engine interface {
	// run starts a detached container. Its environment reaches it through
	// the docker CLI's own environment (`-e NAME`, no value), never argv.
	run(ctx context.Context, spec runSpec) error
	// list returns the environment's containers of a role (and service),
	// running or not, sorted by name.
	list(ctx context.Context, env, role, service string) ([]ctr, error)
	// remove stops a container (SIGTERM first when graceful, so a service
	// drains in-flight requests) and removes it; an absent one is no error.
	remove(ctx context.Context, name string, graceful bool) error
	// hostPort is where a container's port is published ("127.0.0.1:NNNN").
	hostPort(ctx context.Context, name string, port int) (string, error)
	// state is how a container is: "running", "exited" … and its exit code.
	state(ctx context.Context, name string) (ctrState, error)
	// wait blocks until the container stops.
	wait(ctx context.Context, name string) error
	// logs returns the last n lines of a container's output (both streams).
	logs(ctx context.Context, name string, n int) ([]string, error)
}

// runSpec is one `docker run -d`.
type runSpec struct {
	Name, Image, Network string
	Aliases              []string
	// Publish are `-p` values ("127.0.0.1::8080").
	Publish []string
	Restart string
	Labels  map[string]string
	// Env is the container's environment; values may be secrets.
	Env map[string]string
	Cmd []string
}

type ctrState struct {
	Status    string
	ExitCode  int
	OOMKilled bool
}

type ctr struct {
	Name    string
	Running bool
	Status  string
	Labels  map[string]string
}

func (c ctr) replica() int {
	n, _ := strconv.Atoi(c.Labels[LabelReplica])
	return n
}

// runArgs is the argv and the extra environment of `docker run` for spec:
// every variable is named in argv (`-e NAME`) and valued in the CLI's
// environment, where only this user's processes can read it — unlike
// /proc/<pid>/cmdline, which every local user can.
func runArgs(spec runSpec) (args, env []string) {
	args = []string{"run", "-d", "--name", spec.Name}
	if spec.Network != "" {
		args = append(args, "--network", spec.Network)
	}
	for _, a := range spec.Aliases {
		args = append(args, "--network-alias", a)
	}
	for _, p := range spec.Publish {
		args = append(args, "-p", p)
	}
	if spec.Restart != "" {
		args = append(args, "--restart", spec.Restart)
	}
	args = append(args, labelArgs(spec.Labels)...)
	names := make([]string, 0, len(spec.Env))
	for k := range spec.Env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		args = append(args, "-e", k)
		env = append(env, k+"="+spec.Env[k])
	}
	args = append(args, spec.Image)
	return append(args, spec.Cmd...), env
}

func labelArgs(l map[string]string) []string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, "--label", k+"="+l[k])
	}
	return out
}

// cliEngine is the engine through the docker CLI.
type cliEngine struct{}

// dockerOpts keep a failed docker command's error on one line, with the last
// three lines of what it printed.
var dockerOpts = sh.Options{TailLines: 3, Join: " / "}

// docker runs the docker CLI and returns its trimmed stdout.
func (cliEngine) docker(ctx context.Context, args ...string) (string, error) {
	out, err := dockerOpts.Run(ctx, "docker", args...)
	return strings.TrimSpace(out), err
}

func (c cliEngine) run(ctx context.Context, spec runSpec) error {
	args, env := runArgs(spec)
	o := dockerOpts
	o.Env = append(os.Environ(), env...)
	_, err := o.Run(ctx, "docker", args...)
	return err
}

// psFormat is one line per container for list: its name, its state
// ("running", "exited", "created" …) and its labels ("k=v,k=v").
const psFormat = "{{.Names}}\t{{.State}}\t{{.Labels}}"

// list is one `docker ps`, whose format carries everything a ctr holds: a
// deploy lists every service before and while it rolls, and one CLI call
// instead of two (ps, then inspect) is 80 fewer per end-to-end run.
func (c cliEngine) list(ctx context.Context, env, role, service string) ([]ctr, error) {
	args := []string{"ps", "-a", "--no-trunc", "--format", psFormat, "--filter", "label=" + LabelEnv + "=" + env, "--filter", "label=" + LabelRole + "=" + role}
	if service != "" {
		args = append(args, "--filter", "label="+LabelService+"="+service)
	}
	out, err := c.docker(ctx, args...)
	if err != nil {
		return nil, err
	}
	return parsePS(out)
}

// parsePS reads psFormat's lines. docker joins the labels with commas; a
// part without "=" continues the value before it (the kit's own values —
// names, versions, digest references, numbers — hold no comma; an image's
// label might).
func parsePS(out string) ([]ctr, error) {
	var cs []ctr
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("docker ps: unexpected line %q", line)
		}
		labels := map[string]string{}
		last := ""
		for _, kv := range strings.Split(f[2], ",") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				labels[k], last = v, k
			} else if last != "" {
				labels[last] += "," + kv
			}
		}
		cs = append(cs, ctr{Name: f[0], Running: f[1] == "running", Status: f[1], Labels: labels})
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	return cs, nil
}

func (c cliEngine) remove(ctx context.Context, name string, graceful bool) error {
	if graceful {
		if _, err := c.docker(ctx, "stop", "-t", "10", name); err != nil && !noSuchContainer(err) {
			return fmt.Errorf("stopping %s: %w", name, err)
		}
	}
	if _, err := c.docker(ctx, "rm", "-f", name); err != nil && !noSuchContainer(err) {
		return fmt.Errorf("removing %s: %w", name, err)
	}
	return nil
}

func noSuchContainer(err error) bool { return strings.Contains(err.Error(), "No such container") }

func (c cliEngine) hostPort(ctx context.Context, name string, port int) (string, error) {
	out, err := c.docker(ctx, "port", name, fmt.Sprintf("%d/tcp", port))
	if err != nil {
		return "", err
	}
	return strings.Fields(out + " ")[0], nil
}

func (c cliEngine) state(ctx context.Context, name string) (ctrState, error) {
	out, err := c.docker(ctx, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}", name)
	if err != nil {
		return ctrState{}, err
	}
	f := strings.Fields(out)
	if len(f) != 3 {
		return ctrState{}, fmt.Errorf("state of %s: %q", name, out)
	}
	code, err := strconv.Atoi(f[1])
	if err != nil {
		return ctrState{}, fmt.Errorf("exit code of %s: %q", name, out)
	}
	return ctrState{Status: f[0], ExitCode: code, OOMKilled: f[2] == "true"}, nil
}

func (c cliEngine) wait(ctx context.Context, name string) error {
	_, err := c.docker(ctx, "wait", name)
	return err
}

func (c cliEngine) logs(ctx context.Context, name string, n int) ([]string, error) {
	o := dockerOpts
	o.Combined = true // a container's logs arrive on both streams
	out, err := o.Run(ctx, "docker", "logs", "--tail", strconv.Itoa(n), name)
	if err != nil {
		return nil, err
	}
	var ls []string
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if l != "" {
			ls = append(ls, l)
		}
	}
	return ls, nil
}

// cli is the docker CLI for what is not behind the seam: builds, pushes,
// the registry and entry containers, teardown.
var cli cliEngine

// Package sh is the kit's one way to run a command, in the style of mage's
// sh package: Run and Output, the command's output kept and its last lines
// quoted in the error, streamed to the terminal as well when the caller asks
// (mage -v), and a wait delay so a child that leaves its pipes open cannot
// hang the kit after ctx is cancelled.
//
// The decisions it owns: how a failed command is reported (one error naming
// the command, the exit status and the end of its output), what a nil Env
// means (inherit this process's environment), and how long to wait for a
// killed child's pipes to close.
package sh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Logf receives progress lines; every package of the kit that reports
// progress takes one. A nil Logf is silent where a package says so.
type Logf func(format string, args ...any)

// Discard is a Logf that prints nothing.
func Discard(string, ...any) {}

// defaultTailLines is how many lines of a failed command's output its error
// quotes when Options.TailLines is 0.
const defaultTailLines = 15

// defaultWaitDelay bounds the wait for a killed child's output pipes.
const defaultWaitDelay = 5 * time.Second

// Options say how to run a command. The zero value runs it in the current
// directory with this process's environment, output kept, not streamed.
type Options struct {
	Dir string
	Env []string // nil inherits this process's environment
	// ExtraEnv entries are added to Env (or to the inherited environment);
	// a later entry wins over an earlier one of the same name.
	ExtraEnv []string
	Stdin    io.Reader // secrets go here or in Env, never in argv
	// Stream copies the output to this process's stdout and stderr as well
	// (what mage -v asks for); it is kept for the error either way.
	Stream bool
	// Combined returns stdout and stderr interleaved (a container's logs
	// arrive on both); otherwise Run returns stdout only.
	Combined bool
	// TailLines of output are quoted in an error; 0 means defaultTailLines,
	// and a negative value quotes nothing.
	TailLines int
	// Join separates the quoted lines; "" means a newline.
	Join string
	// WaitDelay: 0 means defaultWaitDelay.
	WaitDelay time.Duration
	// Interrupt sends SIGINT, not SIGKILL, when ctx ends, and kills only
	// after WaitDelay: OpenTofu then releases its state lock and cleans up
	// (terraform-exec does the same).
	Interrupt bool
	// Heartbeat, when positive, makes a long command report to Logf every
	// Heartbeat how long it has been running and its latest output line, so
	// a minute-long step (mmdebstrap, a tool build) is not silent.
	Heartbeat time.Duration
	Logf      Logf
}

// Error is a command that could not start or exited non-zero.
type Error struct {
	Cmd  string // the command and its first arguments, as quoted in Error()
	Err  error  // *exec.ExitError, a start error, or ctx's error
	Tail string // the end of its output (stderr, or both streams)
}

func (e *Error) Error() string {
	if e.Tail == "" {
		return fmt.Sprintf("%s: %v", e.Cmd, e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", e.Cmd, e.Err, e.Tail)
}

func (e *Error) Unwrap() error { return e.Err }

// Run runs name with args and returns its stdout (or both streams, with
// Combined), untrimmed. On failure the error is an *Error.
func (o Options) Run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env, cmd.Stdin = o.Dir, o.Env, o.Stdin
	if len(o.ExtraEnv) > 0 {
		if cmd.Env == nil {
			cmd.Env = os.Environ()
		}
		cmd.Env = append(cmd.Env[:len(cmd.Env):len(cmd.Env)], o.ExtraEnv...)
	}
	cmd.WaitDelay = o.WaitDelay
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = defaultWaitDelay
	}
	if o.Interrupt {
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	}
	var stdout, stderr lockedBuffer
	errSink := &stderr
	if o.Combined {
		errSink = &stdout
	}
	var out, errw io.Writer = &stdout, errSink
	if o.Stream {
		out, errw = io.MultiWriter(os.Stdout, &stdout), io.MultiWriter(os.Stderr, errSink)
	}
	cmd.Stdout, cmd.Stderr = out, errw
	err := o.run(cmd, &stdout, &stderr)
	if err == nil {
		return stdout.String(), nil
	}
	if ctx.Err() != nil {
		err = errors.Join(ctx.Err(), err)
	}
	text := stderr.String()
	if o.Combined || strings.TrimSpace(text) == "" {
		text = stdout.String()
	}
	n := o.TailLines
	if n == 0 {
		n = defaultTailLines
	}
	tail := ""
	if n > 0 {
		tail = Tail(text, n)
		if o.Join != "" {
			tail = strings.ReplaceAll(tail, "\n", o.Join)
		}
	}
	return stdout.String(), &Error{Cmd: describe(name, args, 2), Err: err, Tail: tail}
}

// run runs cmd, with a heartbeat when asked for one.
func (o Options) run(cmd *exec.Cmd, stdout, stderr *lockedBuffer) error {
	if o.Heartbeat <= 0 || o.Logf == nil {
		return cmd.Run()
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t0 := time.Now()
	tick := time.NewTicker(o.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			last := Tail(stderr.String()+stdout.String(), 1)
			if o.Combined {
				last = Tail(stdout.String(), 1)
			}
			o.Logf("  … %s running for %s: %s", describe(cmd.Args[0], cmd.Args[1:], 1), time.Since(t0).Round(time.Second), last)
		}
	}
}

// Run runs a command with the zero Options and discards its output on
// success.
func Run(ctx context.Context, name string, args ...string) error {
	_, err := Options{}.Run(ctx, name, args...)
	return err
}

// Output runs a command with the zero Options and returns its trimmed stdout.
func Output(ctx context.Context, name string, args ...string) (string, error) {
	out, err := Options{}.Run(ctx, name, args...)
	return strings.TrimSpace(out), err
}

// describe names a command by itself and its first n arguments, the way
// errors and progress lines quote it ("docker image inspect").
func describe(name string, args []string, n int) string {
	if len(args) > n {
		args = args[:n]
	}
	return strings.TrimSpace(name + " " + strings.Join(args, " "))
}

// Tail returns the last n non-empty lines of s: enough of a failed command's
// output to say why, without flooding the log. Docker's legacy-builder
// notice is dropped: it precedes every `docker build` and says nothing.
func Tail(s string, n int) string {
	var ls []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.TrimSpace(l) == "" || noise(l) {
			continue
		}
		ls = append(ls, l)
	}
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

func noise(l string) bool {
	return strings.HasPrefix(l, "DEPRECATED: The legacy builder") ||
		strings.Contains(l, "Install the buildx component") ||
		strings.Contains(l, "docs.docker.com/go/buildx")
}

// Since is a duration rounded for progress lines.
func Since(t time.Time) time.Duration { return time.Since(t).Round(10 * time.Millisecond) }

// lockedBuffer is a bytes.Buffer safe for the two goroutines exec uses to
// copy stdout and stderr into one buffer (Combined).
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

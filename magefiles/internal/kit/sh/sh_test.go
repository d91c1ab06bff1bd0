package sh

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTail(t *testing.T) {
	if got := Tail("a\nb\nc\nd\n", 2); got != "c\nd" {
		t.Errorf("Tail = %q, want %q", got, "c\nd")
	}
	if got := Tail("a\n", 5); got != "a" {
		t.Errorf("Tail = %q, want %q", got, "a")
	}
	if got := Tail("x\n\nDEPRECATED: The legacy builder is deprecated\ny\r\n", 5); got != "x\ny" {
		t.Errorf("Tail = %q, want %q", got, "x\ny")
	}
}

func TestRunFailureNamesCommandStatusAndTail(t *testing.T) {
	_, err := Options{}.Run(context.Background(), "sh", "-c", "echo one; echo two >&2; echo three >&2; exit 3")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want an *sh.Error", err)
	}
	if got, want := err.Error(), "sh -c echo one; echo two >&2; echo three >&2; exit 3: exit status 3: two\nthree"; got != want {
		t.Errorf("error:\n%s\nwant:\n%s", got, want)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Errorf("the exit status is not reachable with errors.As: %v", err)
	}
}

func TestExtraEnvIsAddedToTheInheritedEnvironment(t *testing.T) {
	t.Setenv("SH_TEST_INHERITED", "kept")
	out, err := Options{ExtraEnv: []string{"SH_TEST_EXTRA=added"}}.Run(context.Background(), "sh", "-c", `echo "$SH_TEST_INHERITED $SH_TEST_EXTRA"`)
	if err != nil || out != "kept added\n" {
		t.Errorf("out = %q, err = %v; want %q", out, err, "kept added\n")
	}
	out, err = Options{Env: []string{"A=1"}, ExtraEnv: []string{"B=2"}}.Run(context.Background(), "sh", "-c", `echo "${SH_TEST_INHERITED:-none} $A $B"`)
	if err != nil || out != "none 1 2\n" {
		t.Errorf("out = %q, err = %v; want %q", out, err, "none 1 2\n")
	}
}

func TestHeartbeatReportsALongCommand(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, fmt.Sprintf(format, args...))
	}
	o := Options{Heartbeat: 100 * time.Millisecond, Logf: logf, Combined: true}
	if _, err := o.Run(context.Background(), "sh", "-c", "echo working; sleep 0.45; echo done"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lines) < 2 || len(lines) > 5 {
		t.Fatalf("%d heartbeat lines, want 2 to 5 in 0.45 s at 0.1 s: %q", len(lines), lines)
	}
	if !strings.HasPrefix(lines[0], "  … sh -c running for ") || !strings.HasSuffix(lines[0], ": working") {
		t.Errorf("heartbeat line %q", lines[0])
	}
}

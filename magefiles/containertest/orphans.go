package containertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/sh"
)

// Ryuk (testcontainers' reaper) cannot run here, so a test binary killed by
// `go test -timeout` or Ctrl-C leaves its containers behind. Each test
// container is labelled with its owner's host and PID; Run removes those
// whose owner on this host is gone.
const (
	labelOwnerHost = "equiptrack-kit.owner-host"
	labelOwnerPID  = "equiptrack-kit.owner-pid"
)

func ownerLabels(role string) map[string]string {
	host, _ := os.Hostname()
	return map[string]string{
		"equiptrack-kit.role": role,
		labelOwnerHost:        host,
		labelOwnerPID:         strconv.Itoa(os.Getpid()),
	}
}

// SweepOrphans removes test containers whose owning process on this host has
// exited, and returns how many it removed.
func SweepOrphans(ctx context.Context) (int, error) {
	host, _ := os.Hostname()
	out, err := sh.Output(ctx, "docker", "ps", "-a", "--filter", "label="+labelOwnerPID,
		"--format", `{{.ID}} {{.Label "`+labelOwnerHost+`"}} {{.Label "`+labelOwnerPID+`"}}`)
	if err != nil {
		return 0, fmt.Errorf("sweep orphaned test containers: %w", err)
	}
	var orphans []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[1] != host {
			continue
		}
		pid, err := strconv.Atoi(f[2])
		if err != nil || pid <= 0 {
			continue
		}
		if processGone(pid) {
			orphans = append(orphans, f[0])
		}
	}
	if len(orphans) == 0 {
		return 0, nil
	}
	if _, err := sh.Output(ctx, "docker", append([]string{"rm", "-f", "-v"}, orphans...)...); err != nil {
		return 0, fmt.Errorf("remove orphaned test containers: %w", err)
	}
	return len(orphans), nil
}

func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

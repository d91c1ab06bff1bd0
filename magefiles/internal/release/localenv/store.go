package localenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// Lock takes the environment's release lock: a flock on release.lock in the
// state directory, held for the life of the release (the kernel drops it if
// the process dies, so a crashed release never leaves a stale lock). The
// holder's description is written into the file for the refusal message.
func (e *Env) Lock(_ context.Context, holder string) (func() error, error) {
	path := filepath.Join(e.stateDir, "release.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := strings.TrimSpace(string(b))
			if who == "" {
				who = "another process"
			}
			return nil, fmt.Errorf("held by %s (%s): %w", who, path, pipeline.ErrLocked)
		}
		return nil, fmt.Errorf("flock %s: %w", path, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("%s since %s\n", holder, time.Now().UTC().Format(time.RFC3339))), 0)
	return func() error {
		_ = f.Truncate(0)
		defer f.Close()
		return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	}, nil
}

func (e *Env) recordPath() string { return filepath.Join(e.stateDir, "release.json") }

// Load reads the release record (a zero record when there is none).
func (e *Env) Load(context.Context) (pipeline.Record, error) {
	var r pipeline.Record
	b, err := os.ReadFile(e.recordPath())
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("release record %s: %w", e.recordPath(), err)
	}
	return r, nil
}

// Save writes the record atomically (temp file + rename).
func (e *Env) Save(_ context.Context, r pipeline.Record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp := e.recordPath() + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, e.recordPath())
}

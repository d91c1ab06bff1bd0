// Package filelock serialises work between processes with flock(2): two test
// binaries, or a test and a target, that would otherwise build the same tool
// or image at once. The kernel drops the lock when its holder dies, so a
// crashed process never leaves a stale lock behind.
package filelock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// ErrHeld is returned by TryLock when another process holds the lock.
var ErrHeld = errors.New("lock held by another process")

// Lock takes an exclusive lock on path (created when missing), polling so ctx
// can cancel the wait. onWait, when not nil, is called once if someone else
// holds the lock, so a caller can say why it is waiting.
func Lock(ctx context.Context, path string, onWait func()) (unlock func(), err error) {
	waited := false
	for {
		unlock, err := TryLock(path)
		if !errors.Is(err, ErrHeld) {
			return unlock, err
		}
		if !waited && onWait != nil {
			onWait()
		}
		waited = true
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// TryLock takes the lock on path without waiting; it returns ErrHeld when
// another process has it.
func TryLock(path string) (unlock func(), err error) {
	f, err := tryLock(path)
	if err != nil {
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// HeldError is TryLockAs's error when another process holds the lock.
type HeldError struct {
	Path   string
	Holder string // what the holder wrote; "" when it wrote nothing
}

func (e *HeldError) Error() string {
	who := e.Holder
	if who == "" {
		who = "another process"
	}
	return fmt.Sprintf("lock %s: held by %s", e.Path, who)
}

// Is makes errors.Is(err, ErrHeld) true.
func (e *HeldError) Is(target error) bool { return target == ErrHeld }

// TryLockAs is TryLock that writes holder into the file for as long as it
// holds the lock, so a refused process can say who has it (a
// *HeldError). The release lock of a local environment is one.
func TryLockAs(path, holder string) (unlock func(), err error) {
	f, err := tryLock(path)
	if errors.Is(err, ErrHeld) {
		b, _ := os.ReadFile(path)
		return nil, &HeldError{Path: path, Holder: strings.TrimSpace(string(b))}
	}
	if err != nil {
		return nil, err
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(holder+"\n"), 0)
	return func() {
		_ = f.Truncate(0)
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func tryLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrHeld
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

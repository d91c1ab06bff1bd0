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

// TryLockFile takes the lock on path without waiting and returns the open,
// locked file, for a holder that keeps state in it (the release lease of a
// local environment: holder and expiry, rewritten on renewal). Closing the
// file releases the lock. ErrHeld when another process has it.
func TryLockFile(path string) (*os.File, error) { return tryLock(path) }

// Held reports whether a live process holds the lock on path (a missing
// file is not held). It takes and drops a shared lock, so it never blocks.
func Held(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("lock %s: %w", path, err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return true, nil
		}
		return false, fmt.Errorf("lock %s: %w", path, err)
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false, nil
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

package filelock

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The lock must exclude another *process*, not just another goroutine: the
// test re-executes itself as a child that tries the same lock.
func TestLockExcludesAnotherProcess(t *testing.T) {
	if p := os.Getenv("FILELOCK_CHILD"); p != "" {
		_, err := TryLock(p)
		if errors.Is(err, ErrHeld) {
			os.Stdout.WriteString("held")
		} else if err == nil {
			os.Stdout.WriteString("taken")
		}
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "x.lock")
	child := func() string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLockExcludesAnotherProcess$")
		cmd.Env = append(os.Environ(), "FILELOCK_CHILD="+path)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("child: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	unlock, err := Lock(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := child(); got != "held" {
		t.Fatalf("while locked, another process got %q, want held", got)
	}
	unlock()
	if got := child(); got != "taken" {
		t.Fatalf("after unlock, another process got %q, want taken", got)
	}
}

func TestLockWaitsAndHonoursContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	// flock locks belong to the open file description, so a second TryLock
	// in the same process on a new descriptor is refused like another process.
	unlock, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryLock(path); !errors.Is(err, ErrHeld) {
		t.Fatalf("second TryLock: err = %v, want ErrHeld", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	waited := 0
	if _, err := Lock(ctx, path, func() { waited++ }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock on a held lock: err = %v, want deadline exceeded", err)
	}
	if waited != 1 {
		t.Errorf("onWait called %d times, want 1", waited)
	}
	go func() { time.Sleep(300 * time.Millisecond); unlock() }()
	u2, err := Lock(context.Background(), path, nil)
	if err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	u2()
}

func TestTryLockFileAndHeld(t *testing.T) {
	path := filepath.Join(t.TempDir(), "release.lock")
	if held, err := Held(path); held || err != nil {
		t.Fatalf("Held of a missing file = %v, %v", held, err)
	}
	f, err := TryLockFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("holder\n"); err != nil {
		t.Fatal(err)
	}
	// flock locks belong to the open file: a second open in this process is
	// refused like another process would be.
	if _, err := TryLockFile(path); !errors.Is(err, ErrHeld) {
		t.Fatalf("second lock: %v, want ErrHeld", err)
	}
	if held, err := Held(path); !held || err != nil {
		t.Fatalf("Held while locked = %v, %v", held, err)
	}
	f.Close()
	if held, err := Held(path); held || err != nil {
		t.Fatalf("Held after close = %v, %v", held, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "holder\n" {
		t.Errorf("file %q: the holder's content is its own to clear", b)
	}
	f2, err := TryLockFile(path)
	if err != nil {
		t.Fatalf("after close: %v", err)
	}
	f2.Close()
}

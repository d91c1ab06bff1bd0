package localenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/equiptrack/release-kit/magefiles/internal/kit/filelock"
	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// Lock takes the environment's release lease: a flock on release.lock in the
// state directory, held for the life of the operation, with the lease
// (holder, since, expiry) written into the file for the refusal message and
// for `local:status`. The kernel drops the flock when the process dies, so a
// local lease is never stale: a lapsed expiry in the file of a free lock is
// just the trace of a crash, and the lock is taken.
func (e *Env) Lock(_ context.Context, holder string, ttl time.Duration) (pipeline.Held, error) {
	path := e.lockPath()
	f, err := filelock.TryLockFile(path)
	if errors.Is(err, filelock.ErrHeld) {
		l, _ := readLease(path)
		if l.Holder == "" {
			l.Holder = "another process"
		}
		return nil, &pipeline.LockedError{Lease: l, Where: path}
	}
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	h := &heldLock{f: f, path: path, ttl: ttl, lease: pipeline.Lease{Holder: holder, Since: now, Expires: now.Add(ttl)}}
	if err := h.write(); err != nil {
		_ = h.Unlock(context.Background())
		return nil, err
	}
	return h, nil
}

func (e *Env) lockPath() string { return filepath.Join(e.stateDir, "release.lock") }

// Break asks whoever holds the lease to stop: it clears the lease in the
// file, and the holder's next renewal finds it gone (ErrLeaseLost), stops
// and releases the flock. A dead holder's flock is already gone.
func (e *Env) Break(context.Context) (pipeline.Lease, error) {
	path := e.lockPath()
	l, err := readLease(path)
	if err != nil || l.Holder == "" {
		return pipeline.Lease{}, err
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		return pipeline.Lease{}, err
	}
	return l, nil
}

// ReadLease returns the lease in the environment's lock file and whether a
// live process holds the lock (for local:status).
func (e *Env) ReadLease() (pipeline.Lease, bool, error) {
	l, err := readLease(e.lockPath())
	if err != nil || l.Holder == "" {
		return l, false, err
	}
	held, err := filelock.Held(e.lockPath())
	return l, held, err
}

func readLease(path string) (pipeline.Lease, error) {
	var l pipeline.Lease
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) || len(strings.TrimSpace(string(b))) == 0 {
		return l, nil
	}
	if err != nil {
		return l, err
	}
	if err := json.Unmarshal(b, &l); err != nil {
		// A lock file of an older kit: one line naming the holder.
		return pipeline.Lease{Holder: strings.TrimSpace(string(b))}, nil
	}
	return l, nil
}

// heldLock is a lease this process holds: the open, flocked lock file.
type heldLock struct {
	mu    sync.Mutex
	f     *os.File
	path  string
	ttl   time.Duration
	lease pipeline.Lease
}

func (h *heldLock) write() error {
	b, err := json.Marshal(h.lease)
	if err != nil {
		return err
	}
	if err := h.f.Truncate(0); err != nil {
		return err
	}
	_, err = h.f.WriteAt(append(b, '\n'), 0)
	return err
}

func (h *heldLock) Lease() pipeline.Lease {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lease
}

// Renew extends the lease, unless `unlock` cleared it meanwhile.
func (h *heldLock) Renew(context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.f == nil {
		return fmt.Errorf("renewing an unlocked lease: %w", pipeline.ErrLeaseLost)
	}
	cur, err := readLease(h.path)
	if err != nil {
		return err
	}
	if cur.Holder != h.lease.Holder || !cur.Since.Equal(h.lease.Since) {
		return fmt.Errorf("the lease of %s in %s was broken: %w", h.lease.Holder, h.path, pipeline.ErrLeaseLost)
	}
	h.lease.Expires = time.Now().UTC().Truncate(time.Second).Add(h.ttl)
	return h.write()
}

// Unlock clears the lease (if still ours) and releases the flock.
func (h *heldLock) Unlock(context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.f == nil {
		return nil
	}
	if cur, err := readLease(h.path); err == nil && cur.Holder == h.lease.Holder && cur.Since.Equal(h.lease.Since) {
		_ = h.f.Truncate(0)
	}
	// Closing the file releases the flock.
	err := h.f.Close()
	h.f = nil
	return err
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

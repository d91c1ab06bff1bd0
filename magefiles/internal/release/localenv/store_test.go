package localenv

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

func TestLeaseRefusalNamesTheHolderAndBreakStopsIt(t *testing.T) {
	e, _ := fakeEnv(t, 1)
	ctx := context.Background()
	h, err := e.Lock(ctx, "pid 1 on a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Lock(ctx, "pid 2 on b", time.Minute)
	if !errors.Is(err, pipeline.ErrLocked) || errors.Is(err, pipeline.ErrStaleLease) ||
		!strings.HasPrefix(err.Error(), "held by pid 1 on a since ") || !strings.Contains(err.Error(), "release.lock") {
		t.Fatalf("second lock: %v", err)
	}
	l, live, err := e.ReadLease()
	if err != nil || !live || l.Holder != "pid 1 on a" {
		t.Errorf("status view: %+v live %v %v", l, live, err)
	}
	if err := h.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := e.Break(ctx)
	if err != nil || b.Holder != "pid 1 on a" {
		t.Fatalf("break: %+v %v", b, err)
	}
	if err := h.Renew(ctx); !errors.Is(err, pipeline.ErrLeaseLost) {
		t.Errorf("renew after break: %v", err)
	}
	if err := h.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	h2, err := e.Lock(ctx, "pid 2 on b", time.Minute)
	if err != nil {
		t.Fatalf("lock after the holder stopped: %v", err)
	}
	_ = h2.Unlock(ctx)
	if _, live, _ := e.ReadLease(); live {
		t.Error("a released lock reads as held")
	}
}

package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultLeaseTTL is the release lease's time to live. It is renewed every
// third of it, so a holder that dies leaves a lease that lapses within two
// minutes — and is then reported as stale, never taken over.
const DefaultLeaseTTL = 2 * time.Minute

// heldKey marks a context inside an operation that holds the lease of an
// environment, so the steps it calls do not ask for it again.
type heldKey struct{ env string }

func (p *Pipeline) leaseTTL() time.Duration {
	if p.LeaseTTL > 0 {
		return p.LeaseTTL
	}
	return DefaultLeaseTTL
}

// lock takes the environment's lease for one operation, unless ctx already
// carries it (WithLock), and keeps renewing it until release is called. The
// returned context is cancelled when a renewal finds the lease lost: the
// operation then stops at its next step (a restore still runs).
func (p *Pipeline) lock(ctx context.Context, what string) (context.Context, func(), error) {
	if ctx.Value(heldKey{p.Env}) != nil {
		return ctx, func() {}, nil
	}
	ttl := p.leaseTTL()
	held, err := p.Store.Lock(ctx, p.holder(), ttl)
	if err != nil {
		if errors.Is(err, ErrLocked) {
			return nil, nil, fmt.Errorf("%s of %s refused: %w", what, p.Env, err)
		}
		return nil, nil, fmt.Errorf("%s of %s: release lock: %w", what, p.Env, err)
	}
	ctx, cancel := context.WithCancelCause(context.WithValue(ctx, heldKey{p.Env}, held))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			if err := held.Renew(ctx); err != nil {
				if errors.Is(err, ErrLeaseLost) {
					p.logf("the lease of %s was lost (broken with unlock?): stopping the %s", p.Env, what)
					cancel(fmt.Errorf("lease of %s lost: %w", p.Env, err))
					return
				}
				// A transient failure: the next tick tries again, well
				// before the lease lapses.
				p.logf("warning: renewing the lease of %s: %v", p.Env, err)
			}
		}
	}()
	var once sync.Once
	release := func() {
		once.Do(func() {
			close(stop)
			wg.Wait()
			if err := held.Unlock(context.WithoutCancel(ctx)); err != nil {
				p.logf("warning: releasing the lease of %s: %v", p.Env, err)
			}
			cancel(nil)
		})
	}
	return ctx, release, nil
}

// WithLock runs fn holding the environment's lease, renewed while fn runs.
// Operations of this pipeline that fn calls with the context it receives
// run under that lease instead of asking again. The targets use it to
// hold the lease across the work that precedes a release and touches shared
// things (`local:up` recreating the registry or the entry), and `down`.
func (p *Pipeline) WithLock(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	ctx, release, err := p.lock(ctx, what)
	if err != nil {
		return err
	}
	defer release()
	return fn(ctx)
}

// Unlock breaks the environment's lease whoever holds it (`<env>:unlock`)
// and returns the lease it removed, zero when there was none.
func (p *Pipeline) Unlock(ctx context.Context) (Lease, error) {
	l, err := p.Store.Break(ctx)
	if err != nil {
		return l, fmt.Errorf("unlock of %s: %w", p.Env, err)
	}
	return l, nil
}

package awsenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

// The release lease is an SSM parameter created with Overwrite=false: SSM
// refuses a second create with ParameterAlreadyExists, which makes the put
// an atomic test-and-set readable from any laptop or CI job with the deploy
// role. The record is another parameter overwritten on every save; its
// parameter history (100 versions) is the release history.

func (e *Env) where(name string) string { return "SSM parameter " + name + " in " + e.Facts.Region }

func (e *Env) readLease(ctx context.Context) (pipeline.Lease, int64, bool, error) {
	out, err := e.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(e.Facts.LockParameter)})
	var nf *ssmtypes.ParameterNotFound
	if errors.As(err, &nf) {
		return pipeline.Lease{}, 0, false, nil
	}
	if err != nil {
		return pipeline.Lease{}, 0, false, fmt.Errorf("reading the release lease (%s): %w", e.where(e.Facts.LockParameter), err)
	}
	var l pipeline.Lease
	if err := json.Unmarshal([]byte(aws.ToString(out.Parameter.Value)), &l); err != nil {
		return pipeline.Lease{}, 0, false, fmt.Errorf("the release lease (%s) is not a lease: %w", e.where(e.Facts.LockParameter), err)
	}
	return l, out.Parameter.Version, true, nil
}

func (e *Env) putLease(ctx context.Context, l pipeline.Lease, overwrite bool) error {
	js, err := json.Marshal(l)
	if err != nil {
		return err
	}
	_, err = e.ssm.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String(e.Facts.LockParameter), Value: aws.String(string(js)), Type: ssmtypes.ParameterTypeString,
		Overwrite: aws.Bool(overwrite),
	})
	return err
}

// Lock takes the release lease with a create-only put.
func (e *Env) Lock(ctx context.Context, holder string, ttl time.Duration) (pipeline.Held, error) {
	now := e.o.Now().UTC()
	l := pipeline.Lease{Holder: holder, Since: now, Expires: now.Add(ttl)}
	err := e.putLease(ctx, l, false)
	var exists *ssmtypes.ParameterAlreadyExists
	if errors.As(err, &exists) {
		cur, _, ok, rerr := e.readLease(ctx)
		if rerr != nil {
			return nil, rerr
		}
		if !ok { // unlocked in between: one more try, no loop
			if err = e.putLease(ctx, l, false); err == nil {
				return &held{e: e, l: l, ttl: ttl}, nil
			}
			return nil, fmt.Errorf("taking the release lease: %w", err)
		}
		return nil, &pipeline.LockedError{Lease: cur, Stale: now.After(cur.Expires), Where: e.where(e.Facts.LockParameter)}
	}
	if err != nil {
		return nil, fmt.Errorf("taking the release lease (%s): %w", e.where(e.Facts.LockParameter), err)
	}
	return &held{e: e, l: l, ttl: ttl}, nil
}

type held struct {
	e    *Env
	ttl  time.Duration
	mu   sync.Mutex
	l    pipeline.Lease
	done bool
}

func (h *held) Lease() pipeline.Lease {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.l
}

// Renew extends the lease if it is still ours (same holder and start).
func (h *held) Renew(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	cur, _, ok, err := h.e.readLease(ctx)
	if err != nil {
		return err
	}
	if !ok || cur.Holder != h.l.Holder || !cur.Since.Equal(h.l.Since) {
		return fmt.Errorf("the release lease of %s was broken (%s): %w", h.l.Holder, h.e.where(h.e.Facts.LockParameter), pipeline.ErrLeaseLost)
	}
	next := h.l
	next.Expires = h.e.o.Now().UTC().Add(h.ttl)
	if err := h.e.putLease(ctx, next, true); err != nil {
		return fmt.Errorf("renewing the release lease: %w", err)
	}
	h.l = next
	return nil
}

// Unlock deletes the lease when it is still ours.
func (h *held) Unlock(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		return nil
	}
	cur, _, ok, err := h.e.readLease(ctx)
	if err != nil {
		return err
	}
	h.done = true
	if !ok || cur.Holder != h.l.Holder || !cur.Since.Equal(h.l.Since) {
		return nil // broken and maybe retaken by someone else: not ours to delete
	}
	return h.e.deleteLease(ctx)
}

func (e *Env) deleteLease(ctx context.Context) error {
	_, err := e.ssm.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(e.Facts.LockParameter)})
	var nf *ssmtypes.ParameterNotFound
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("deleting the release lease (%s): %w", e.where(e.Facts.LockParameter), err)
	}
	return nil
}

// Break removes the lease whoever holds it (`<env>:unlock`).
func (e *Env) Break(ctx context.Context) (pipeline.Lease, error) {
	cur, _, ok, err := e.readLease(ctx)
	if err != nil || !ok {
		return pipeline.Lease{}, err
	}
	return cur, e.deleteLease(ctx)
}

// Load reads the release record; zero when nothing was released yet.
func (e *Env) Load(ctx context.Context) (pipeline.Record, error) {
	out, err := e.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(e.Facts.RecordParameter)})
	var nf *ssmtypes.ParameterNotFound
	if errors.As(err, &nf) {
		return pipeline.Record{}, nil
	}
	if err != nil {
		return pipeline.Record{}, fmt.Errorf("reading the release record (%s): %w", e.where(e.Facts.RecordParameter), err)
	}
	var r pipeline.Record
	if err := json.Unmarshal([]byte(aws.ToString(out.Parameter.Value)), &r); err != nil {
		return pipeline.Record{}, fmt.Errorf("the release record (%s) is not JSON: %w", e.where(e.Facts.RecordParameter), err)
	}
	return r, nil
}

// Save overwrites the record; Intelligent-Tiering lets SSM store a record
// over 4 KB (six services' ARNs twice, and a partial restore's states) as
// an advanced parameter instead of refusing it.
func (e *Env) Save(ctx context.Context, r pipeline.Record) error {
	js, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = e.ssm.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String(e.Facts.RecordParameter), Value: aws.String(string(js)), Type: ssmtypes.ParameterTypeString,
		Overwrite: aws.Bool(true), Tier: ssmtypes.ParameterTierIntelligentTiering,
	})
	if err != nil {
		return fmt.Errorf("saving the release record (%s): %w", e.where(e.Facts.RecordParameter), err)
	}
	return nil
}

// History returns the record's earlier versions, newest first, up to n.
func (e *Env) History(ctx context.Context, n int) ([]pipeline.Record, error) {
	p := ssm.NewGetParameterHistoryPaginator(e.ssm, &ssm.GetParameterHistoryInput{Name: aws.String(e.Facts.RecordParameter)})
	var all []pipeline.Record
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		var nf *ssmtypes.ParameterNotFound
		if errors.As(err, &nf) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading the release history: %w", err)
		}
		for _, pv := range page.Parameters {
			var r pipeline.Record
			if json.Unmarshal([]byte(aws.ToString(pv.Value)), &r) == nil {
				all = append(all, r)
			}
		}
	}
	for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
		all[i], all[j] = all[j], all[i]
	}
	if len(all) > n {
		all = all[:n]
	}
	return all, nil
}

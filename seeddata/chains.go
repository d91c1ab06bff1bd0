package seeddata

import (
	"context"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
)

// The chain invariant, over every item (seed rows and rows users added):
// taken in time order, each movement starts where the previous one ended,
// and the last one ends at the item's current location. An item without
// movements satisfies it.

// chainSQL numbers each item's movements and finds its broken links. The
// natural key (item, moved_at) is unique, so the order is total.
const chainSQL = `WITH ordered AS (
	SELECT m.id, m.item_id, m.from_location_id, m.to_location_id,
	       lag(m.to_location_id) OVER w AS prev_to,
	       lead(m.id) OVER w AS next_id
	FROM movements m
	WINDOW w AS (PARTITION BY m.item_id ORDER BY m.moved_at, m.id)),
per_item AS (
	SELECT o.item_id,
	       count(*) FILTER (WHERE o.prev_to IS NOT NULL AND o.prev_to <> o.from_location_id) AS gaps,
	       max(o.to_location_id) FILTER (WHERE o.next_id IS NULL) AS last_to
	FROM ordered o GROUP BY o.item_id)`

// ChainBreak is an item whose movements do not form an unbroken chain.
type ChainBreak struct {
	AssetTag  string
	SeedOwned bool
	Gaps      int    // movements not starting where the previous one ended
	LastTo    string // where the last movement ends
	At        string // where the item is
}

func (c ChainBreak) String() string {
	owner := "seed item"
	if !c.SeedOwned {
		owner = "item users added"
	}
	s := fmt.Sprintf("%s (%s):", c.AssetTag, owner)
	if c.Gaps > 0 {
		s += fmt.Sprintf(" %d movement(s) not starting where the previous one ended;", c.Gaps)
	}
	if c.LastTo != c.At {
		s += fmt.Sprintf(" last movement ends at %s, item is at %s;", c.LastTo, c.At)
	}
	return s[:len(s)-1]
}

// brokenChains checks the invariant over the whole movements table.
func brokenChains(ctx context.Context, tx pgx.Tx) ([]ChainBreak, error) {
	rows, err := tx.Query(ctx, chainSQL+`
	SELECT i.asset_tag, i.seed_owned, p.gaps, lt.code, cl.code
	FROM per_item p JOIN items i ON i.id = p.item_id
	JOIN locations lt ON lt.id = p.last_to JOIN locations cl ON cl.id = i.current_location_id
	WHERE p.gaps > 0 OR p.last_to <> i.current_location_id
	ORDER BY i.asset_tag`)
	if err != nil {
		return nil, fmt.Errorf("check movement chains: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ChainBreak, error) {
		var c ChainBreak
		err := r.Scan(&c.AssetTag, &c.SeedOwned, &c.Gaps, &c.LastTo, &c.At)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("check movement chains: %w", err)
	}
	return out, nil
}

// repairChains runs at the end of a confirmed reseed. The reseed put every
// seed item and seed movement back as the dataset has them; movements users
// recorded against the replaced history (or seed movements the reseed handed
// to users) now contradict it. For every seed item whose chain is broken, the
// movements that are not seed rows are deleted — nothing refers to a movement,
// so nothing else goes with them — and each is reported. The seed movements
// alone form an unbroken chain, so the invariant holds again; chains of items
// users added are never touched (brokenChains reports them).
func (s *session) repairChains(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, chainSQL+`,
	broken AS (
		SELECT p.item_id FROM per_item p JOIN items i ON i.id = p.item_id
		WHERE i.seed_owned AND (p.gaps > 0 OR p.last_to <> i.current_location_id))
	DELETE FROM movements m USING broken b, items i, locations f, locations t
	WHERE m.item_id = b.item_id AND NOT m.seed_owned
	  AND i.id = m.item_id AND f.id = m.from_location_id AND t.id = m.to_location_id
	RETURNING i.asset_tag, to_char(m.moved_at AT TIME ZONE 'UTC', `+tsFmt+`), f.code, t.code, m.reason`)
	if err != nil {
		return fmt.Errorf("repair movement chains: %w", err)
	}
	removed, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var tag, at, from, to, reason string
		err := r.Scan(&tag, &at, &from, &to, &reason)
		return fmt.Sprintf("%s %s %s → %s (%q)", tag, at, from, to, reason), err
	})
	if err != nil {
		return fmt.Errorf("repair movement chains: %w", err)
	}
	sort.Strings(removed)
	s.rep.RemovedMovements = removed
	s.wrote = s.wrote || len(removed) > 0
	return nil
}

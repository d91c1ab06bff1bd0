// Package store holds the example services' read queries over the seeded
// schema (seeddata/schema). Everything here is read-only: the services never
// write the demo data; the seeder does.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store runs the queries on a connection pool.
type Store struct {
	pool *pgxpool.Pool
}

// New wraps a pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// ErrNotFound means the asked-for row does not exist.
var ErrNotFound = errors.New("not found")

// Item is a parent item as listed.
type Item struct {
	AssetTag     string `json:"asset_tag"`
	Type         string `json:"type"`
	TypeName     string `json:"type_name"`
	Location     string `json:"location"`
	LocationName string `json:"location_name"`
	LocationKind string `json:"location_kind"`
	Status       string `json:"status"`
	ChildCount   int    `json:"child_count"`
}

// Child is a child item (a component instance) of a parent item.
type Child struct {
	Serial        string `json:"serial"`
	Component     string `json:"component"`
	ComponentName string `json:"component_name"`
}

// ItemDetail is one parent item with its child items.
type ItemDetail struct {
	Item
	Children []Child `json:"children"`
}

// ItemFilter selects parent items. Empty strings match everything. Type and
// Location match a code or a name. The caller validates Limit and Offset.
type ItemFilter struct {
	Type     string
	Location string
	Status   string
	Limit    int
	Offset   int
}

const itemColumns = `i.asset_tag, t.code, t.name, l.code, l.name, l.kind, i.status,
	(SELECT count(*) FROM child_items c WHERE c.parent_item_id = i.id)`

const itemFrom = `FROM items i
	JOIN item_types t ON t.id = i.item_type_id
	JOIN locations l ON l.id = i.current_location_id`

const itemWhere = `WHERE ($1 = '' OR t.code = $1 OR t.name = $1)
	AND ($2 = '' OR l.code = $2 OR l.name = $2)
	AND ($3 = '' OR i.status = $3)`

// Items returns one page of the parent items matching f, ordered by asset tag
// (a total order, so pages never overlap), and how many match in all.
func (s *Store) Items(ctx context.Context, f ItemFilter) ([]Item, int, error) {
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) `+itemFrom+` `+itemWhere,
		f.Type, f.Location, f.Status).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count items: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+itemColumns+` `+itemFrom+` `+itemWhere+`
		ORDER BY i.asset_tag LIMIT $4 OFFSET $5`,
		f.Type, f.Location, f.Status, f.Limit, f.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list items: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanItem)
	if err != nil {
		return nil, 0, fmt.Errorf("list items: %w", err)
	}
	return items, total, nil
}

func scanItem(row pgx.CollectableRow) (Item, error) {
	var it Item
	err := row.Scan(&it.AssetTag, &it.Type, &it.TypeName, &it.Location, &it.LocationName,
		&it.LocationKind, &it.Status, &it.ChildCount)
	return it, err
}

// Item returns one parent item by asset tag with its child items ordered by
// serial, or ErrNotFound.
func (s *Store) Item(ctx context.Context, assetTag string) (ItemDetail, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+itemColumns+` `+itemFrom+` WHERE i.asset_tag = $1`, assetTag)
	if err != nil {
		return ItemDetail{}, fmt.Errorf("get item %s: %w", assetTag, err)
	}
	it, err := pgx.CollectExactlyOneRow(rows, scanItem)
	if errors.Is(err, pgx.ErrNoRows) {
		return ItemDetail{}, ErrNotFound
	}
	if err != nil {
		return ItemDetail{}, fmt.Errorf("get item %s: %w", assetTag, err)
	}
	rows, err = s.pool.Query(ctx, `SELECT c.serial, k.code, k.name
		FROM child_items c
		JOIN items i ON i.id = c.parent_item_id
		JOIN item_type_components k ON k.id = c.component_id
		WHERE i.asset_tag = $1
		ORDER BY c.serial`, assetTag)
	if err != nil {
		return ItemDetail{}, fmt.Errorf("children of %s: %w", assetTag, err)
	}
	children, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Child, error) {
		var c Child
		return c, r.Scan(&c.Serial, &c.Component, &c.ComponentName)
	})
	if err != nil {
		return ItemDetail{}, fmt.Errorf("children of %s: %w", assetTag, err)
	}
	if children == nil {
		children = []Child{}
	}
	return ItemDetail{Item: it, Children: children}, nil
}

// Component is one line of an item type's bill of components.
type Component struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Quantity int    `json:"quantity"`
}

// ItemType is an item type with its bill of components and its item count.
type ItemType struct {
	Code        string      `json:"code"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	ItemCount   int         `json:"item_count"`
	Components  []Component `json:"components"`
}

// ItemTypes returns every item type ordered by code.
func (s *Store) ItemTypes(ctx context.Context) ([]ItemType, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.code, t.name, t.description,
			(SELECT count(*) FROM items i WHERE i.item_type_id = t.id),
			COALESCE((SELECT json_agg(json_build_object('code', k.code, 'name', k.name, 'quantity', k.quantity) ORDER BY k.code)
				FROM item_type_components k WHERE k.item_type_id = t.id), '[]')
		FROM item_types t ORDER BY t.code`)
	if err != nil {
		return nil, fmt.Errorf("list item types: %w", err)
	}
	types, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ItemType, error) {
		var t ItemType
		return t, r.Scan(&t.Code, &t.Name, &t.Description, &t.ItemCount, &t.Components)
	})
	if err != nil {
		return nil, fmt.Errorf("list item types: %w", err)
	}
	return nonNil(types), nil
}

// Location is a place items are kept, with how many parent items are there.
type Location struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	ItemCount int    `json:"item_count"`
}

// Locations returns every location ordered by code.
func (s *Store) Locations(ctx context.Context) ([]Location, error) {
	rows, err := s.pool.Query(ctx, `SELECT l.code, l.name, l.kind,
			(SELECT count(*) FROM items i WHERE i.current_location_id = l.id)
		FROM locations l ORDER BY l.code`)
	if err != nil {
		return nil, fmt.Errorf("list locations: %w", err)
	}
	locs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Location, error) {
		var l Location
		return l, r.Scan(&l.Code, &l.Name, &l.Kind, &l.ItemCount)
	})
	if err != nil {
		return nil, fmt.Errorf("list locations: %w", err)
	}
	return nonNil(locs), nil
}

// Movement is one move of a parent item.
type Movement struct {
	From    string    `json:"from"`
	To      string    `json:"to"`
	MovedAt time.Time `json:"moved_at"`
	Reason  string    `json:"reason"`
}

// Movements returns the movements of the item with the given asset tag in
// time order, or ErrNotFound when there is no such item.
func (s *Store) Movements(ctx context.Context, assetTag string) ([]Movement, error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM items WHERE asset_tag = $1)`, assetTag).Scan(&exists); err != nil {
		return nil, fmt.Errorf("movements of %s: %w", assetTag, err)
	}
	if !exists {
		return nil, ErrNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT f.code, t.code, m.moved_at, m.reason
		FROM movements m
		JOIN items i ON i.id = m.item_id
		JOIN locations f ON f.id = m.from_location_id
		JOIN locations t ON t.id = m.to_location_id
		WHERE i.asset_tag = $1
		ORDER BY m.moved_at, m.id`, assetTag)
	if err != nil {
		return nil, fmt.Errorf("movements of %s: %w", assetTag, err)
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Movement, error) {
		var m Movement
		err := r.Scan(&m.From, &m.To, &m.MovedAt, &m.Reason)
		m.MovedAt = m.MovedAt.UTC()
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("movements of %s: %w", assetTag, err)
	}
	return nonNil(ms), nil
}

// Role is a role with its permissions. Users and password hashes are never
// read here.
type Role struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Permissions []string `json:"permissions"`
}

// Roles returns every role ordered by name, each with its permission names
// sorted.
func (s *Store) Roles(ctx context.Context) ([]Role, error) {
	rows, err := s.pool.Query(ctx, `SELECT r.name, r.description,
			COALESCE(array_agg(p.name ORDER BY p.name) FILTER (WHERE p.name IS NOT NULL), '{}')
		FROM roles r
		LEFT JOIN role_permissions rp ON rp.role_id = r.id
		LEFT JOIN permissions p ON p.id = rp.permission_id
		GROUP BY r.id, r.name, r.description
		ORDER BY r.name`)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	roles, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Role, error) {
		var ro Role
		return ro, r.Scan(&ro.Name, &ro.Description, &ro.Permissions)
	})
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	return nonNil(roles), nil
}

// Summary is the fleet summary the reporting service serves.
type Summary struct {
	Items      int            `json:"items"`
	ChildItems int            `json:"child_items"`
	Movements  int            `json:"movements"`
	Locations  int            `json:"locations"`
	ByType     map[string]int `json:"by_type"`     // item type code → parent items
	ByLocation map[string]int `json:"by_location"` // location code → parent items there now
	ByKind     map[string]int `json:"by_kind"`     // location kind → parent items there now
	ByStatus   map[string]int `json:"by_status"`   // active / retired → parent items
}

// Summary computes the fleet summary from the tables, in one snapshot.
func (s *Store) Summary(ctx context.Context) (Summary, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return Summary{}, fmt.Errorf("summary: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	sum := Summary{ByType: map[string]int{}, ByLocation: map[string]int{}, ByKind: map[string]int{}, ByStatus: map[string]int{}}
	if err := tx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM items), (SELECT count(*) FROM child_items),
			(SELECT count(*) FROM movements), (SELECT count(*) FROM locations)`).
		Scan(&sum.Items, &sum.ChildItems, &sum.Movements, &sum.Locations); err != nil {
		return Summary{}, fmt.Errorf("summary: totals: %w", err)
	}
	groups := []struct {
		into map[string]int
		sql  string
	}{
		// Types and locations with no items still appear, with 0.
		{sum.ByType, `SELECT t.code, count(i.id) FROM item_types t LEFT JOIN items i ON i.item_type_id = t.id GROUP BY t.code`},
		{sum.ByLocation, `SELECT l.code, count(i.id) FROM locations l LEFT JOIN items i ON i.current_location_id = l.id GROUP BY l.code`},
		{sum.ByKind, `SELECT l.kind, count(i.id) FROM locations l LEFT JOIN items i ON i.current_location_id = l.id GROUP BY l.kind`},
		{sum.ByStatus, `SELECT status, count(*) FROM items GROUP BY status`},
	}
	for _, g := range groups {
		rows, err := tx.Query(ctx, g.sql)
		if err != nil {
			return Summary{}, fmt.Errorf("summary: %w", err)
		}
		var k string
		var n int
		if _, err := pgx.ForEachRow(rows, []any{&k, &n}, func() error { g.into[k] = n; return nil }); err != nil {
			return Summary{}, fmt.Errorf("summary: %w", err)
		}
	}
	return sum, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

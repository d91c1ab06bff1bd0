package seeddata

import (
	"fmt"
	"time"
)

// Movement kinds of location, as in the locations.kind column.
const (
	KindHospital   = "hospital"
	KindWarehouse  = "warehouse"
	KindQuarantine = "quarantine"
)

// Reasons the generator records; each belongs to exactly one transition.
const (
	ReasonDeploy     = "deployed to hospital"          // warehouse → hospital
	ReasonReturn     = "returned to warehouse"         // hospital → warehouse
	ReasonTransfer   = "transferred between hospitals" // hospital → hospital
	ReasonQuarantine = "quarantined for inspection"    // hospital → quarantine
	ReasonRelease    = "released from quarantine"      // quarantine → warehouse
)

// GenInput is everything the movement generator depends on: the same input
// always gives the same movements, on every machine and Go version (it uses
// its own splitmix64 generator, not math/rand, whose streams may change).
type GenInput struct {
	Seed uint64
	// Anchor is the fixed instant the history ends at: every movement happens
	// at or before it (never "now").
	Anchor      time.Time
	AssetTags   []string // the items, in a fixed order
	Hospitals   []string // location codes by kind; at least one of each
	Warehouses  []string
	Quarantines []string
	// MinTotal is the least number of movements to generate; MaxPerItem caps
	// the initial chain length of an item (chains are then extended round-robin
	// until MinTotal is reached).
	MinTotal   int
	MaxPerItem int
}

// Movement is one move of a parent item. MovedAt is in UTC, whole seconds.
type Movement struct {
	AssetTag string
	From     string
	To       string
	MovedAt  time.Time
	Reason   string
}

// GenResult holds the generated movements (grouped by item in input order,
// each item's in time order) and every item's current location: where its
// chain ends.
type GenResult struct {
	Movements []Movement
	Start     map[string]string // asset tag → warehouse the item started in
	Current   map[string]string // asset tag → location code at the anchor
}

type splitmix64 struct{ s uint64 }

func (r *splitmix64) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a uniform int in [0, n) (rejection sampling, so no modulo bias).
func (r *splitmix64) intn(n int) int {
	if n <= 0 {
		panic("intn: n <= 0")
	}
	limit := ^uint64(0) - ^uint64(0)%uint64(n)
	for {
		v := r.next()
		if v < limit {
			return int(v % uint64(n))
		}
	}
}

func pick(r *splitmix64, from []string, not string) string {
	for {
		c := from[r.intn(len(from))]
		if c != not || len(from) == 1 {
			return c
		}
	}
}

// GenerateMovements builds unbroken movement chains: each item starts in a
// warehouse; from a warehouse it is deployed to a hospital; from a hospital it
// returns to a warehouse, moves to another hospital, or goes to quarantine;
// from quarantine it is released to a warehouse. Each movement starts where
// the previous one of the same item ended, and the last ends at the item's
// current location. Timestamps count back from the anchor in whole minutes
// with gaps of one to thirty days, so they are strictly increasing per item
// and never after the anchor.
func GenerateMovements(in GenInput) (GenResult, error) {
	switch {
	case len(in.AssetTags) == 0:
		return GenResult{}, fmt.Errorf("movements: no items")
	case len(in.Hospitals) == 0 || len(in.Warehouses) == 0 || len(in.Quarantines) == 0:
		return GenResult{}, fmt.Errorf("movements: need at least one hospital, warehouse and quarantine location")
	case in.MaxPerItem < 1:
		return GenResult{}, fmt.Errorf("movements: max per item must be at least 1, got %d", in.MaxPerItem)
	case in.Anchor.IsZero():
		return GenResult{}, fmt.Errorf("movements: no anchor instant")
	}
	seen := map[string]bool{}
	for _, a := range in.AssetTags {
		if seen[a] {
			return GenResult{}, fmt.Errorf("movements: duplicate asset tag %q", a)
		}
		seen[a] = true
	}
	r := &splitmix64{s: in.Seed}
	kind := map[string]string{}
	for _, c := range in.Hospitals {
		kind[c] = KindHospital
	}
	for _, c := range in.Warehouses {
		kind[c] = KindWarehouse
	}
	for _, c := range in.Quarantines {
		kind[c] = KindQuarantine
	}

	// 1. Chain lengths: 1..MaxPerItem each, then extended round-robin until
	// the total reaches MinTotal.
	n := make([]int, len(in.AssetTags))
	total := 0
	for i := range n {
		n[i] = 1 + r.intn(in.MaxPerItem)
		total += n[i]
	}
	for i := 0; total < in.MinTotal; i = (i + 1) % len(n) {
		n[i]++
		total++
	}

	// 2. Walk each chain forward from its starting warehouse.
	res := GenResult{Start: map[string]string{}, Current: map[string]string{}}
	anchor := in.Anchor.UTC().Truncate(time.Second)
	for i, tag := range in.AssetTags {
		at := in.Warehouses[r.intn(len(in.Warehouses))]
		res.Start[tag] = at
		chain := make([]Movement, 0, n[i])
		for range n[i] {
			var to, reason string
			switch kind[at] {
			case KindWarehouse:
				to, reason = pick(r, in.Hospitals, ""), ReasonDeploy
			case KindQuarantine:
				to, reason = pick(r, in.Warehouses, ""), ReasonRelease
			default: // hospital
				switch p := r.intn(10); {
				case p < 5:
					to, reason = pick(r, in.Warehouses, ""), ReasonReturn
				case p < 7 && len(in.Hospitals) > 1:
					to, reason = pick(r, in.Hospitals, at), ReasonTransfer
				default:
					to, reason = pick(r, in.Quarantines, ""), ReasonQuarantine
				}
			}
			chain = append(chain, Movement{AssetTag: tag, From: at, To: to, Reason: reason})
			at = to
		}
		// 3. Times, backwards from the anchor: the last within 14 days of
		// it, each earlier one 1–30 days before the next.
		t := anchor.Add(-time.Duration(r.intn(14*24*60)) * time.Minute)
		for j := len(chain) - 1; j >= 0; j-- {
			chain[j].MovedAt = t
			t = t.Add(-time.Duration(24*60+r.intn(29*24*60)) * time.Minute)
		}
		res.Current[tag] = at
		res.Movements = append(res.Movements, chain...)
	}
	return res, nil
}

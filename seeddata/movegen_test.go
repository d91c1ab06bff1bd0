package seeddata

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func codes(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i+1)
	}
	return out
}

// The chain invariant over the generator's inputs, not only the shipped ones.
func TestMovementChainsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := GenInput{
			Seed:        rapid.Uint64().Draw(t, "seed"),
			Anchor:      time.Unix(rapid.Int64Range(1e9, 2e9).Draw(t, "anchor"), 0).In(time.FixedZone("X", 3600)),
			AssetTags:   codes("IT-", rapid.IntRange(1, 40).Draw(t, "items")),
			Hospitals:   codes("H", rapid.IntRange(1, 6).Draw(t, "hospitals")),
			Warehouses:  codes("W", rapid.IntRange(1, 3).Draw(t, "warehouses")),
			Quarantines: codes("Q", rapid.IntRange(1, 2).Draw(t, "quarantines")),
			MinTotal:    rapid.IntRange(0, 300).Draw(t, "min"),
			MaxPerItem:  rapid.IntRange(1, 6).Draw(t, "max"),
		}
		res, err := GenerateMovements(in)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Movements) < in.MinTotal {
			t.Fatalf("%d movements, want at least %d", len(res.Movements), in.MinTotal)
		}
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
		checkChains(t, res.Movements, res.Current, kind, in.Anchor, len(in.AssetTags))
		for _, tag := range in.AssetTags {
			if kind[res.Start[tag]] != KindWarehouse {
				t.Fatalf("%s starts at %q, not a warehouse", tag, res.Start[tag])
			}
		}
		again, _ := GenerateMovements(in)
		if !reflect.DeepEqual(res, again) {
			t.Fatal("same input, different movements")
		}
	})
}

func TestMovementsDependOnTheSeed(t *testing.T) {
	in := GenInput{Seed: 1, Anchor: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC), AssetTags: codes("I", 20),
		Hospitals: codes("H", 5), Warehouses: codes("W", 2), Quarantines: codes("Q", 1), MinTotal: 50, MaxPerItem: 4}
	a, _ := GenerateMovements(in)
	in.Seed = 2
	b, _ := GenerateMovements(in)
	if reflect.DeepEqual(a.Movements, b.Movements) {
		t.Fatal("seeds 1 and 2 gave the same movements")
	}
}

func TestGenerateMovementsRejectsBadInput(t *testing.T) {
	base := GenInput{Anchor: time.Unix(1e9, 0), AssetTags: []string{"A"}, Hospitals: []string{"H"},
		Warehouses: []string{"W"}, Quarantines: []string{"Q"}, MaxPerItem: 1}
	for name, mut := range map[string]func(*GenInput){
		"no items":      func(g *GenInput) { g.AssetTags = nil },
		"no quarantine": func(g *GenInput) { g.Quarantines = nil },
		"max 0":         func(g *GenInput) { g.MaxPerItem = 0 },
		"no anchor":     func(g *GenInput) { g.Anchor = time.Time{} },
		"duplicate tag": func(g *GenInput) { g.AssetTags = []string{"A", "A"} },
	} {
		in := base
		mut(&in)
		if _, err := GenerateMovements(in); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := GenerateMovements(base); err != nil {
		t.Fatalf("valid input: %v", err)
	}
}

// fatalRecorder stops at the first Fatalf, like testing.T, and remembers it.
type fatalRecorder struct{ msg string }

func (*fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(f)
}

// The chain checker itself catches each kind of breakage (so the property
// test above can fail).
func TestCheckChainsCatchesBreakage(t *testing.T) {
	anchor := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return anchor.Add(-time.Duration(h) * time.Hour) }
	kind := map[string]string{"W": KindWarehouse, "H": KindHospital, "H2": KindHospital, "Q": KindQuarantine}
	good := func() []Movement {
		return []Movement{
			{AssetTag: "A", From: "W", To: "H", MovedAt: at(30), Reason: ReasonDeploy},
			{AssetTag: "A", From: "H", To: "Q", MovedAt: at(20), Reason: ReasonQuarantine},
			{AssetTag: "A", From: "Q", To: "W", MovedAt: at(10), Reason: ReasonRelease},
		}
	}
	check := func(ms []Movement, current string) (msg string) {
		f := &fatalRecorder{}
		defer func() {
			if r := recover(); r != nil && r != any(f) {
				panic(r)
			}
			msg = f.msg
		}()
		checkChains(f, ms, map[string]string{"A": current}, kind, anchor, 1)
		return ""
	}
	if msg := check(good(), "W"); msg != "" {
		t.Fatalf("a good chain failed: %s", msg)
	}
	for name, tc := range map[string]struct {
		mut     func([]Movement) []Movement
		current string
		want    string
	}{
		"broken":        {func(m []Movement) []Movement { m[1].From = "H2"; return m }, "W", "chain broken"},
		"wrong end":     {func(m []Movement) []Movement { return m }, "H", "current location is H"},
		"not in order":  {func(m []Movement) []Movement { m[2].MovedAt = at(25); return m }, "W", "not after"},
		"after anchor":  {func(m []Movement) []Movement { m[2].MovedAt = anchor.Add(time.Minute); return m }, "W", "after the anchor"},
		"unrealistic":   {func(m []Movement) []Movement { m[0].To, m[1].From = "Q", "Q"; return m }, "W", "not a realistic transition"},
		"wrong reason":  {func(m []Movement) []Movement { m[0].Reason = ReasonReturn; return m }, "W", "not a realistic transition"},
		"not from W":    {func(m []Movement) []Movement { return m[1:] }, "W", "not a warehouse"},
		"goes nowhere":  {func(m []Movement) []Movement { m[0].To, m[1].From = "W", "W"; return m }, "W", "goes nowhere"},
		"missing items": {func(m []Movement) []Movement { return nil }, "W", "0 items have movements"},
	} {
		if msg := check(tc.mut(good()), tc.current); !strings.Contains(msg, tc.want) {
			t.Errorf("%s: checker said %q, want %q", name, msg, tc.want)
		}
	}
}

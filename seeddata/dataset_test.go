package seeddata

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustLoad(t *testing.T) *Dataset {
	t.Helper()
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The exact numbers README.md documents.
func TestDatasetExactCounts(t *testing.T) {
	d := mustLoad(t)
	recs := d.Records()
	want := map[string]int{
		TPermissions: 9, TRoles: 6, TRolePermissions: 37, TUsers: 1, TUserRoles: 1,
		TLocations: 8, TItemTypes: 7, TComponents: 36, TItems: 70, TChildItems: 380, TMovements: 155,
	}
	for table, n := range want {
		if got := len(recs[table]); got != n {
			t.Errorf("%s: %d rows, want %d", table, got, n)
		}
	}
	if len(recs) != len(want) {
		t.Errorf("records for %d tables, want %d", len(recs), len(want))
	}
}

func TestItemTypesAndBillsOfComponents(t *testing.T) {
	d := mustLoad(t)
	// name → (component rows, children per parent)
	want := []struct {
		name             string
		comps, perParent int
	}{
		{"Sports Tower", 6, 7}, {"MedEd 1688", 5, 5}, {"MedEd 1788", 5, 5}, {"Clinical 1788", 7, 8},
		{"RISE Tower", 7, 7}, {"1788 Roll Stand", 3, 3}, {"1688 Roll Stand", 3, 3},
	}
	if len(d.ItemTypes) != len(want) {
		t.Fatalf("%d item types, want %d", len(d.ItemTypes), len(want))
	}
	parents := map[string]int{}
	for _, it := range d.Items {
		parents[it.TypeCode]++
	}
	children := map[string]int{}
	for _, c := range d.Children {
		children[c.ParentTag]++
	}
	for i, w := range want {
		ty := d.ItemTypes[i]
		if ty.Name != w.name {
			t.Errorf("item type %d is %q, want %q", i, ty.Name, w.name)
		}
		if len(ty.Components) != w.comps {
			t.Errorf("%s: %d components, want %d", w.name, len(ty.Components), w.comps)
		}
		if parents[ty.Code] != 10 {
			t.Errorf("%s: %d parents, want 10", w.name, parents[ty.Code])
		}
		for _, it := range d.Items {
			if it.TypeCode == ty.Code && children[it.AssetTag] != w.perParent {
				t.Errorf("%s: %d children, want %d", it.AssetTag, children[it.AssetTag], w.perParent)
			}
		}
	}
}

func TestStableTagsAndSerials(t *testing.T) {
	d := mustLoad(t)
	tag := regexp.MustCompile(`^ET-(STW|ME1688|ME1788|CL1788|RISE|RS1788|RS1688)-0(0[1-9]|10)$`)
	for _, it := range d.Items {
		if !tag.MatchString(it.AssetTag) || !strings.Contains(it.AssetTag, "-"+it.TypeCode+"-") {
			t.Errorf("asset tag %q (type %s) not of the documented form", it.AssetTag, it.TypeCode)
		}
	}
	// Spot checks, literal: first and last parent, a two-monitor child.
	if d.Items[0].AssetTag != "ET-STW-001" || d.Items[69].AssetTag != "ET-RS1688-010" {
		t.Errorf("first/last asset tags %q/%q", d.Items[0].AssetTag, d.Items[69].AssetTag)
	}
	serials := map[string]bool{}
	for _, c := range d.Children {
		if serials[c.Serial] {
			t.Errorf("duplicate serial %q", c.Serial)
		}
		serials[c.Serial] = true
	}
	for _, s := range []string{"ET-STW-001-MON-2", "ET-CL1788-010-MON-2", "ET-RS1688-010-PWR-1", "ET-RISE-005-SHV-1"} {
		if !serials[s] {
			t.Errorf("serial %q missing", s)
		}
	}
	if serials["ET-STW-001-MON-3"] || serials["ET-RS1688-001-MON-1"] {
		t.Error("serial of a component the bill does not have")
	}
}

func TestLocations(t *testing.T) {
	d := mustLoad(t)
	byKind := map[string][]string{}
	for _, l := range d.Locations {
		byKind[l.Kind] = append(byKind[l.Kind], l.Name)
	}
	if !slices.Equal(byKind[KindHospital], []string{"Hospital A", "Hospital B", "Hospital C", "Hospital D", "Hospital E"}) {
		t.Errorf("hospitals %q", byKind[KindHospital])
	}
	if !slices.Equal(byKind[KindWarehouse], []string{"Central Warehouse", "North Warehouse"}) {
		t.Errorf("warehouses %q", byKind[KindWarehouse])
	}
	if !slices.Equal(byKind[KindQuarantine], []string{"Quarantine Bay"}) {
		t.Errorf("quarantine %q", byKind[KindQuarantine])
	}
}

// The permission matrix of the product brief, written out independently of roles.json.
func TestPermissionMatrix(t *testing.T) {
	d := mustLoad(t)
	read := []string{"items:read", "locations:read", "movements:read", "reports:read"}
	want := map[string][]string{
		"admin":             append(slices.Clone(read), "items:write", "items:retire", "movements:record", "locations:write", "users:manage"),
		"Warehouse Manager": append(slices.Clone(read), "items:write", "items:retire", "movements:record"),
		"Inventory Clerk":   append(slices.Clone(read), "items:write", "movements:record"),
		"Viewer":            slices.Clone(read),
		"Location Manager":  append(slices.Clone(read), "movements:record", "locations:write"),
		"User Manager":      append(slices.Clone(read), "users:manage"),
	}
	if len(d.Roles) != len(want) {
		t.Fatalf("%d roles, want %d", len(d.Roles), len(want))
	}
	for _, r := range d.Roles {
		w, ok := want[r.Name]
		if !ok {
			t.Errorf("unexpected role %q", r.Name)
			continue
		}
		got := slices.Clone(r.Permissions)
		slices.Sort(got)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("role %q: permissions %q, want %q", r.Name, got, w)
		}
	}
	if len(d.Users) != 1 || d.Users[0].Username != "admin" || !slices.Equal(d.Users[0].Roles, []string{"admin"}) {
		t.Errorf("users = %+v, want only admin with role admin", d.Users)
	}
}

func TestShippedMovementsChains(t *testing.T) {
	d := mustLoad(t)
	if len(d.Movements) < 125 {
		t.Fatalf("%d movements, want at least 125", len(d.Movements))
	}
	anchor := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	cur := map[string]string{}
	for _, it := range d.Items {
		cur[it.AssetTag] = it.CurrentLocation
	}
	kinds := map[string]string{}
	for _, l := range d.Locations {
		kinds[l.Code] = l.Kind
	}
	checkChains(t, d.Movements, cur, kinds, anchor, len(d.Items))
	// Realistic: mostly deployments and returns, some via quarantine (the
	// breakdown README.md documents).
	reasons := map[string]int{}
	for _, m := range d.Movements {
		reasons[m.Reason]++
	}
	want := map[string]int{ReasonDeploy: 90, ReasonReturn: 24, ReasonTransfer: 13, ReasonQuarantine: 17, ReasonRelease: 11}
	if !maps.Equal(reasons, want) {
		t.Errorf("movements by reason %v, want %v", reasons, want)
	}
}

// checkChains asserts the chain invariant independently of the generator:
// per item, time-ordered, each movement starts where the previous ended, the
// first starts in a warehouse, the last ends at the item's current location,
// transitions are the realistic ones, and nothing is after the anchor.
func checkChains(t interface {
	Helper()
	Fatalf(string, ...any)
}, ms []Movement, current map[string]string, kind map[string]string, anchor time.Time, items int) {
	t.Helper()
	allowed := map[[2]string]string{
		{KindWarehouse, KindHospital}:   ReasonDeploy,
		{KindHospital, KindWarehouse}:   ReasonReturn,
		{KindHospital, KindHospital}:    ReasonTransfer,
		{KindHospital, KindQuarantine}:  ReasonQuarantine,
		{KindQuarantine, KindWarehouse}: ReasonRelease,
	}
	byItem := map[string][]Movement{}
	for _, m := range ms {
		byItem[m.AssetTag] = append(byItem[m.AssetTag], m)
	}
	if len(byItem) != items {
		t.Fatalf("%d items have movements, want all %d", len(byItem), items)
	}
	for tag, chain := range byItem {
		if len(chain) == 0 {
			t.Fatalf("%s: no movements", tag)
		}
		if kind[chain[0].From] != KindWarehouse {
			t.Fatalf("%s: first movement starts at %s, not a warehouse", tag, chain[0].From)
		}
		for i, m := range chain {
			if m.From == m.To {
				t.Fatalf("%s: movement %d goes nowhere (%s)", tag, i, m.From)
			}
			if r, ok := allowed[[2]string{kind[m.From], kind[m.To]}]; !ok || r != m.Reason {
				t.Fatalf("%s: movement %d %s(%s)→%s(%s) %q is not a realistic transition", tag, i, m.From, kind[m.From], m.To, kind[m.To], m.Reason)
			}
			if m.MovedAt.After(anchor) || m.MovedAt.Location() != time.UTC {
				t.Fatalf("%s: movement %d at %s: after the anchor %s or not UTC", tag, i, m.MovedAt, anchor)
			}
			if i > 0 {
				if m.From != chain[i-1].To {
					t.Fatalf("%s: chain broken at %d: starts at %s, previous ended at %s", tag, i, m.From, chain[i-1].To)
				}
				if !m.MovedAt.After(chain[i-1].MovedAt) {
					t.Fatalf("%s: movement %d not after movement %d", tag, i, i-1)
				}
			}
		}
		if last := chain[len(chain)-1].To; last != current[tag] {
			t.Fatalf("%s: chain ends at %s, current location is %s", tag, last, current[tag])
		}
	}
}

// The shipped dataset's fingerprint is the committed one: changing the data
// is a deliberate change of seeddata/FINGERPRINT.
func TestShippedFingerprintIsCommitted(t *testing.T) {
	b, err := os.ReadFile("FINGERPRINT")
	if err != nil {
		t.Fatal(err)
	}
	committed := strings.TrimSpace(string(b))
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(committed) {
		t.Fatalf("FINGERPRINT %q is not 64 hex digits", committed)
	}
	if got := Fingerprint(mustLoad(t).Records()); got != committed {
		t.Fatalf("dataset fingerprint %s, committed %s: if the data change is deliberate, update seeddata/FINGERPRINT", got, committed)
	}
	if ExpectedFingerprint() != committed {
		t.Fatalf("embedded expected fingerprint %q differs from the file", ExpectedFingerprint())
	}
}

// The fingerprint's definition, computed by hand: version line, tables in
// order, rows sorted by canonical text, fields joined by 0x1f, key and values
// by 0x1e.
func TestFingerprintDefinition(t *testing.T) {
	rows := map[string][]Record{
		TRoles:       {{Key: []string{"b"}, Vals: []string{"B"}}, {Key: []string{"a"}, Vals: []string{"A"}}},
		TPermissions: {{Key: []string{"p"}, Vals: []string{""}}},
		TMovements:   {{Key: []string{"ET-1", "2026-01-01T00:00:00.000000Z"}, Vals: []string{"W", "H", "r"}}},
	}
	text := "equiptrack-seed-fingerprint/v1\n" +
		"permissions\x1fp\x1e\n" +
		"roles\x1fa\x1eA\n" +
		"roles\x1fb\x1eB\n" +
		"movements\x1fET-1\x1f2026-01-01T00:00:00.000000Z\x1eW\x1fH\x1fr\n"
	sum := sha256.Sum256([]byte(text))
	if got, want := Fingerprint(rows), hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("Fingerprint = %s, want %s", got, want)
	}
	// A changed value changes it; the order rows come in does not.
	rows[TRoles][0], rows[TRoles][1] = rows[TRoles][1], rows[TRoles][0]
	if Fingerprint(rows) != hex.EncodeToString(sum[:]) {
		t.Fatal("row order changed the fingerprint")
	}
	rows[TRoles][0].Vals = []string{"A2"}
	if Fingerprint(rows) == hex.EncodeToString(sum[:]) {
		t.Fatal("a changed value left the fingerprint unchanged")
	}
}

func TestParseSteps(t *testing.T) {
	for in, want := range map[string][]string{
		"":                   AllSteps,
		"all":                AllSteps,
		"roles":              {StepRoles},
		"movements,roles":    {StepMovements, StepRoles},
		"generate_movements": {StepMovements},
		" inventory , roles": {StepInventory, StepRoles},
	} {
		got, err := ParseSteps(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseSteps(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseSteps("roles,bogus"); err == nil || !strings.Contains(err.Error(), `unknown step "bogus"`) {
		t.Errorf("ParseSteps(bogus) error = %v", err)
	}
}

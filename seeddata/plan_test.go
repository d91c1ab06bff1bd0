package seeddata

import (
	"strings"
	"testing"
)

// plan's decision table, on in-memory states (no database).
func TestPlanDecisions(t *testing.T) {
	const tb = TLocations
	rec := func(k, v string) Record { return Record{Key: []string{k}, Vals: []string{v, "hospital"}} }
	want := []Record{rec("new", "N"), rec("same", "S"), rec("gone", "G"), rec("squat", "Q"),
		rec("edited", "E"), rec("upgraded", "U2"), rec("noledger", "L")}
	st := &tableState{rows: map[string]dbRow{}, ledger: map[string]string{}}
	put := func(r Record, owned bool, ledger string) {
		k := r.KeyString()
		st.rows[k] = dbRow{ctid: "(0," + k + ")", rec: r, seedOwned: owned}
		st.order = append(st.order, k)
		if ledger != "" {
			st.ledger[k] = ledger
		}
	}
	put(rec("same", "S"), true, rec("same", "S").Hash(tb))
	st.ledger["gone"] = rec("gone", "G").Hash(tb)
	put(rec("squat", "user's"), false, "")
	put(rec("edited", "E by a user"), true, rec("edited", "E").Hash(tb))
	put(rec("upgraded", "U1"), true, rec("upgraded", "U1").Hash(tb)) // dataset moved U1 → U2
	put(rec("noledger", "L"), true, "")
	put(rec("stale", "old"), true, rec("stale", "old").Hash(tb))
	put(rec("users-own", "x"), false, "")

	acts, disown := plan(tb, want, st, false)
	got := map[string]action{}
	why := map[string]string{}
	for _, p := range acts {
		got[p.rec.KeyString()] = p.act
		why[p.rec.KeyString()] = p.why
	}
	expect := map[string]action{"new": actCreate, "same": actUnchanged, "gone": actDrift, "squat": actDrift,
		"edited": actDrift, "upgraded": actUpdate, "noledger": actLedgerOnly, "stale": actDrift}
	for k, a := range expect {
		if got[k] != a {
			t.Errorf("normal run, %s: action %d, want %d", k, got[k], a)
		}
	}
	if _, ok := got["users-own"]; ok || len(disown) != 0 {
		t.Errorf("normal run touched a user row or disowned: %v, %v", got["users-own"], disown)
	}
	for k, frag := range map[string]string{"gone": "deleted", "squat": "users added", "edited": "edited", "stale": "not in this dataset"} {
		if !strings.Contains(why[k], frag) {
			t.Errorf("drift reason for %s = %q, want it to mention %q", k, why[k], frag)
		}
	}
	c := count(tb, StepInventory, acts, disown)
	if c.Created != 1 || c.Updated != 1 || c.Unchanged != 2 || c.Drift != 4 || c.Disowned != 0 || len(c.DriftKeys) != 4 {
		t.Errorf("normal counts = %+v", c)
	}

	acts, disown = plan(tb, want, st, true)
	got = map[string]action{}
	for _, p := range acts {
		got[p.rec.KeyString()] = p.act
	}
	expect = map[string]action{"new": actCreate, "same": actUnchanged, "gone": actCreate, "squat": actDrift,
		"edited": actUpdate, "upgraded": actUpdate, "noledger": actLedgerOnly}
	for k, a := range expect {
		if got[k] != a {
			t.Errorf("reseed, %s: action %d, want %d", k, got[k], a)
		}
	}
	if len(disown) != 1 || disown[0].delKey != "stale" || disown[0].ctid != "(0,stale)" {
		t.Errorf("reseed disown = %+v, want only the stale seed row", disown)
	}
	if _, ok := got["users-own"]; ok {
		t.Error("reseed planned an action on a user row")
	}
}

package seeddata

import (
	"testing"
)

// plan's decision table, on in-memory states (no database).
func TestPlanDecisions(t *testing.T) {
	const tb = TLocations
	rec := func(k, v string) Record { return Record{Key: []string{k}, Vals: []string{v, "hospital"}} }
	want := []Record{rec("new", "N"), rec("same", "S"), rec("gone", "G"), rec("squat", "Q"),
		rec("edited", "E"), rec("upgraded", "U2"), rec("noledger", "L"), rec("namesake", "x")}
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

	noParents := func(string, string) fate { t.Fatal("locations have no parents"); return fateAbsent }
	acts, disown := plan(tb, want, st, false, noParents)
	got := map[string]action{}
	why := map[string]string{}
	for _, p := range acts {
		got[p.rec.KeyString()] = p.act
		why[p.rec.KeyString()] = p.why
	}
	expect := map[string]action{"new": actCreate, "same": actUnchanged, "gone": actDrift, "squat": actConflict,
		"edited": actDrift, "upgraded": actUpdate, "noledger": actLedgerOnly, "stale": actDrift, "namesake": actConflict}
	for k, a := range expect {
		if got[k] != a {
			t.Errorf("normal run, %s: action %d, want %d", k, got[k], a)
		}
	}
	if _, ok := got["users-own"]; ok || len(disown) != 0 {
		t.Errorf("normal run touched a user row or disowned: %v, %v", got["users-own"], disown)
	}
	for k, w := range map[string]string{
		"gone":     "deleted since seeded (not recreated; a confirmed reseed restores it)",
		"squat":    "a row users added holds this key (left alone)",
		"edited":   "edited since seeded (not reverted; a confirmed reseed restores it)",
		"stale":    "seed-owned but not in this dataset (a confirmed reseed hands it to users)",
		"namesake": `name "x" is held by a row users added (users-own); left alone`,
	} {
		if why[k] != w {
			t.Errorf("reason for %s = %q, want %q", k, why[k], w)
		}
	}
	c := count(tb, StepInventory, acts, disown)
	if c.Created != 1 || c.Updated != 1 || c.Unchanged != 2 || c.Drift != 3 || c.Conflicts != 2 || c.Disowned != 0 ||
		len(c.DriftKeys) != 3 || len(c.ConflictKeys) != 2 {
		t.Errorf("normal counts = %+v", c)
	}

	acts, disown = plan(tb, want, st, true, noParents)
	got = map[string]action{}
	for _, p := range acts {
		got[p.rec.KeyString()] = p.act
	}
	expect = map[string]action{"new": actCreate, "same": actUnchanged, "gone": actCreate, "squat": actConflict,
		"edited": actUpdate, "upgraded": actUpdate, "noledger": actLedgerOnly, "namesake": actConflict}
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

// A row is written only when every row it refers to is a seed row after the
// run: a user's "admin" never gets the admin role, a user's location never
// receives a seed item.
func TestPlanRefusesUserParents(t *testing.T) {
	fates := map[string]fate{"users|admin": fateUser, "roles|admin": fateSeed, "users|clerk": fateSeed,
		"roles|Viewer": fateAbsent, "item_types|STW": fateSeed, "locations|HOSP-A": fateSeed, "locations|USER-LOC": fateUser}
	fateOf := func(table, key string) fate { return fates[table+"|"+key] }
	empty := &tableState{rows: map[string]dbRow{}, ledger: map[string]string{}}
	ur := func(u, r string) Record { return Record{Key: []string{u, r}} }
	acts, _ := plan(TUserRoles, []Record{ur("admin", "admin"), ur("clerk", "admin"), ur("clerk", "Viewer")}, empty, false, fateOf)
	want := []struct {
		act  action
		why  string
		fate fate
	}{
		{actConflict, "refers to users admin, a row users added (left alone)", fateAbsent},
		{actCreate, "", fateSeed},
		{actConflict, "refers to roles Viewer, which is not a seed row (conflict or deleted)", fateAbsent},
	}
	for i, w := range want {
		if acts[i].act != w.act || acts[i].why != w.why || acts[i].fate != w.fate {
			t.Errorf("user_roles %s: %+v, want %+v", acts[i].rec.KeyString(), acts[i], w)
		}
	}
	item := func(tag, loc string) Record { return Record{Key: []string{tag}, Vals: []string{"STW", loc, "active"}} }
	acts, _ = plan(TItems, []Record{item("ET-STW-001", "HOSP-A"), item("ET-STW-002", "USER-LOC")}, empty, false, fateOf)
	if acts[0].act != actCreate || acts[1].act != actConflict || acts[1].why != "refers to locations USER-LOC, a row users added (left alone)" {
		t.Errorf("items: %+v", acts)
	}
	// A chain is written whole or not at all: the conflict of one movement
	// makes the item's other movements conflicts too; other items go ahead.
	fates["items|ET-STW-001"], fates["items|ET-STW-002"] = fateSeed, fateSeed
	mv := func(tag, at, from, to string) Record {
		return Record{Key: []string{tag, at}, Vals: []string{from, to, "r"}}
	}
	acts, _ = plan(TMovements, []Record{
		mv("ET-STW-001", "2025-01-01T00:00:00.000000Z", "HOSP-A", "USER-LOC"),
		mv("ET-STW-001", "2025-02-01T00:00:00.000000Z", "USER-LOC", "HOSP-A"),
		mv("ET-STW-002", "2025-01-01T00:00:00.000000Z", "HOSP-A", "HOSP-A"),
	}, empty, false, fateOf)
	if acts[0].act != actConflict || acts[1].act != actConflict || acts[2].act != actCreate ||
		acts[1].why != "refers to locations USER-LOC, a row users added (left alone)" {
		t.Errorf("movements: %+v", acts)
	}
	acts, _ = plan(TMovements, []Record{
		mv("ET-STW-001", "2025-01-01T00:00:00.000000Z", "HOSP-A", "HOSP-A"),
		mv("ET-STW-001", "2025-02-01T00:00:00.000000Z", "HOSP-A", "USER-LOC"),
	}, empty, false, fateOf)
	if acts[0].act != actConflict || acts[0].why != "movement ET-STW-001|2025-02-01T00:00:00.000000Z of the same item is a conflict; creating this one would break the item's chain" {
		t.Errorf("movements before a conflict: %+v", acts)
	}
}

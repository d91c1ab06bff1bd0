package seeddata

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// session is one run's state: the connection, the dataset in record form and
// the report being filled. It prints nothing: Run renders the report once the
// outcome (committed or rolled back) is known.
type session struct {
	conn *pgx.Conn
	ds   *Dataset
	recs map[string][]Record
	opts Options
	rep  *Report

	adminHash string // computed lazily: argon2id costs ~50 ms

	// state holds every table as read at the start of the run (re-read for
	// the fingerprint when anything was written); fates says, for the
	// dataset keys of the tables planned so far, what each will be once the
	// run commits.
	state map[string]*tableState
	fates map[string]map[string]fate
	wrote bool
}

// fate is what a natural key is after a run.
type fate int

const (
	fateAbsent fate = iota // no row holds the key
	fateSeed               // a seed row holds it
	fateUser               // a row users added holds it
)

// dbRow is a row as loaded from the database.
type dbRow struct {
	ctid      string
	rec       Record
	seedOwned bool
}

type tableState struct {
	rows   map[string]dbRow // by natural key
	order  []string         // natural keys in load order (for stale rows)
	ledger map[string]string
}

// loadTables reads the given tables and their ledger entries in one round trip.
func loadTables(ctx context.Context, q pgx.Tx, tables []string, withLedger bool) (map[string]*tableState, error) {
	b := &pgx.Batch{}
	st := map[string]*tableState{}
	for _, t := range tables {
		spec := tableSQLs[t]
		ts := &tableState{rows: map[string]dbRow{}, ledger: map[string]string{}}
		st[t] = ts
		b.Queue(spec.load).Query(func(rows pgx.Rows) error {
			n := 1 + spec.nkeys + spec.nvals
			for rows.Next() {
				strs := make([]string, n)
				dest := make([]any, n+1)
				for i := range strs {
					dest[i] = &strs[i]
				}
				var owned bool
				dest[n] = &owned
				if err := rows.Scan(dest...); err != nil {
					return fmt.Errorf("load %s: %w", t, err)
				}
				r := dbRow{ctid: strs[0], seedOwned: owned,
					rec: Record{Key: strs[1 : 1+spec.nkeys], Vals: strs[1+spec.nkeys:]}}
				k := r.rec.KeyString()
				ts.rows[k] = r
				ts.order = append(ts.order, k)
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("load %s: %w", t, err)
			}
			return nil
		})
	}
	if withLedger {
		b.Queue(`SELECT table_name, natural_key, row_hash FROM seed_ledger WHERE table_name = ANY($1)`, tables).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var t, k, h string
					if err := rows.Scan(&t, &k, &h); err != nil {
						return fmt.Errorf("load seed_ledger: %w", err)
					}
					if ts, ok := st[t]; ok {
						ts.ledger[k] = h
					}
				}
				return rows.Err()
			})
	}
	if err := q.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	return st, nil
}

type action int

const (
	actUnchanged action = iota
	actCreate
	actUpdate
	actDrift
	actConflict   // a row users added stands in the way; left alone
	actLedgerOnly // row equals the dataset but the ledger lacks or misstates it
)

type planned struct {
	act    action
	rec    Record
	why    string // drift or conflict reason
	hash   string
	fate   fate   // what the key is after the run (dataset rows only)
	ctid   string // for disown
	delKey string // ledger key to delete on disown
}

// plan decides, for every dataset row of a table, what a run does:
//
//	absent, never seeded here           → create
//	absent, in the ledger               → drift (a user deleted it); reseed: create
//	present, not seed-owned             → conflict (a user's row holds the key); never touched
//	present, equal to the dataset       → unchanged
//	present, equal to the ledger        → update (the dataset changed since)
//	present, differs from the ledger    → drift (a user edited it); reseed: update
//
// A create or update becomes a conflict when a row users added holds the
// row's unique name (locations, item types), or when a row it refers to is
// not a seed row after this run (a user's row, a conflict, a deleted row):
// the seeder writes seed-owned rows only, pointing at seed-owned rows only.
//
// Seed-owned rows whose key is not in the dataset: drift, or in a reseed,
// disown (seed_owned = false; kept, so nothing a user made can be lost).
func plan(table string, want []Record, st *tableState, reseed bool, fateOf func(table, key string) fate) (acts []planned, disown []planned) {
	inData := make(map[string]bool, len(want))
	userNames := map[string]string{} // unique name → key of the user row holding it
	if uniqueName[table] {
		for _, k := range st.order {
			if row := st.rows[k]; !row.seedOwned {
				userNames[row.rec.Vals[0]] = k
			}
		}
	}
	for _, rec := range want {
		k := rec.KeyString()
		inData[k] = true
		h := rec.Hash(table)
		row, present := st.rows[k]
		led, inLedger := st.ledger[k]
		p := planned{rec: rec, hash: h, fate: fateSeed}
		switch {
		case !present && inLedger && !reseed:
			p.act, p.why, p.fate = actDrift, "deleted since seeded (not recreated; a confirmed reseed restores it)", fateAbsent
		case !present:
			p.act = actCreate
		case !row.seedOwned:
			p.act, p.why, p.fate = actConflict, "a row users added holds this key (left alone)", fateUser
		default:
			dh := row.rec.Hash(table)
			switch {
			case dh == h && led == h:
				p.act = actUnchanged
			case dh == h:
				p.act = actLedgerOnly
			case reseed || (inLedger && dh == led):
				p.act = actUpdate
			default:
				p.act, p.why = actDrift, "edited since seeded (not reverted; a confirmed reseed restores it)"
			}
		}
		if p.act == actCreate || p.act == actUpdate {
			if why := blocked(table, rec, userNames, fateOf); why != "" {
				p.act, p.why = actConflict, why
				if p.fate = fateAbsent; present {
					p.fate = fateSeed // the seed row stays as it is
				}
			}
		}
		acts = append(acts, p)
	}
	if table == TMovements {
		chainWhole(acts)
	}
	for _, k := range st.order {
		row := st.rows[k]
		if !row.seedOwned || inData[k] {
			continue
		}
		p := planned{rec: row.rec, ctid: row.ctid, delKey: k}
		if reseed {
			disown = append(disown, p)
		} else {
			p.act, p.why = actDrift, "seed-owned but not in this dataset (a confirmed reseed hands it to users)"
			acts = append(acts, p)
		}
	}
	return acts, disown
}

// chainWhole keeps movement chains whole: when one of an item's movements is
// a conflict, creating the others would leave a chain with a gap, so they are
// conflicts too.
func chainWhole(acts []planned) {
	first := map[string]string{} // item → key of its first conflicting movement
	for _, p := range acts {
		if p.act == actConflict {
			if _, ok := first[p.rec.Key[0]]; !ok {
				first[p.rec.Key[0]] = p.rec.KeyString()
			}
		}
	}
	for i, p := range acts {
		if k, ok := first[p.rec.Key[0]]; ok && p.act == actCreate {
			acts[i].act, acts[i].fate = actConflict, fateAbsent
			acts[i].why = fmt.Sprintf("movement %s of the same item is a conflict; creating this one would break the item's chain", k)
		}
	}
}

// blocked says why a record cannot be written, or "".
func blocked(table string, rec Record, userNames map[string]string, fateOf func(table, key string) fate) string {
	if uniqueName[table] {
		if holder, ok := userNames[rec.Vals[0]]; ok && holder != rec.KeyString() {
			return fmt.Sprintf("name %q is held by a row users added (%s); left alone", rec.Vals[0], holder)
		}
	}
	for _, ref := range parentRefs(table, rec) {
		switch fateOf(ref[0], ref[1]) {
		case fateUser:
			return fmt.Sprintf("refers to %s %s, a row users added (left alone)", ref[0], ref[1])
		case fateAbsent:
			return fmt.Sprintf("refers to %s %s, which is not a seed row (conflict or deleted)", ref[0], ref[1])
		}
	}
	return ""
}

func count(table, step string, acts []planned, disown []planned) TableCounts {
	c := TableCounts{Table: table, Step: step, Disowned: len(disown)}
	for _, p := range acts {
		switch p.act {
		case actCreate:
			c.Created++
		case actUpdate:
			c.Updated++
		case actDrift:
			c.Drift++
			c.DriftKeys = append(c.DriftKeys, p.rec.KeyString()+": "+p.why)
		case actConflict:
			c.Conflicts++
			c.ConflictKeys = append(c.ConflictKeys, p.rec.KeyString()+": "+p.why)
		default:
			c.Unchanged++
		}
	}
	return c
}

// fateOf is what a natural key of table is after this run: as planned for
// the tables this run writes, as read for the others.
func (s *session) fateOf(table, key string) fate {
	if f, ok := s.fates[table][key]; ok {
		return f
	}
	row, ok := s.state[table].rows[key]
	switch {
	case !ok:
		return fateAbsent
	case row.seedOwned:
		return fateSeed
	}
	return fateUser
}

func (s *session) begin(ctx context.Context, readOnly bool) (pgx.Tx, error) {
	opts := pgx.TxOptions{}
	if readOnly {
		opts = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	}
	tx, err := s.conn.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	// Bound every statement: a stuck server fails the run instead of hanging it.
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = '2min'`); err != nil {
		_ = tx.Rollback(ctx)
		return nil, fmt.Errorf("set statement_timeout: %w", err)
	}
	return tx, nil
}

func (s *session) seed(ctx context.Context) error {
	tx, err := s.begin(ctx, false)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after commit
	// One seeder at a time: a second one waits here, then finds everything
	// done. The lock is released at commit or rollback.
	if _, err := tx.Exec(ctx, fmt.Sprintf(`SET LOCAL lock_timeout = '%dms'`, s.opts.LockTimeout.Milliseconds())); err != nil {
		return fmt.Errorf("set lock_timeout: %w", err)
	}
	lockStart := time.Now()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, seedLockKey); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "55P03" { // lock_not_available
			return fmt.Errorf("%w for more than %s", ErrLocked, s.opts.LockTimeout)
		}
		return fmt.Errorf("seed advisory lock: %w", err)
	}
	s.rep.LockWait = time.Since(lockStart)
	if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = 0`); err != nil {
		return fmt.Errorf("reset lock_timeout: %w", err)
	}
	// One round trip reads every table and the ledger. Reading a child table
	// before its parents are written is sound: writes never change a natural
	// key or an owner, and rows that exist already reference rows that exist.
	if s.state, err = loadTables(ctx, tx, Tables, true); err != nil {
		return err
	}
	s.fates = map[string]map[string]fate{}
	history := false // whether items or movements may change
	for _, step := range s.opts.Steps {
		t0 := time.Now()
		if err := s.runStep(ctx, tx, step); err != nil {
			return fmt.Errorf("%s: %w", step, err)
		}
		s.rep.StepDurations = append(s.rep.StepDurations, time.Since(t0))
		history = history || step == StepInventory || step == StepMovements
	}
	if s.opts.Reseed && history {
		if err := s.repairChains(ctx, tx); err != nil {
			return err
		}
	}
	if s.rep.BrokenChains, err = brokenChains(ctx, tx); err != nil {
		return err
	}
	if err := s.fingerprint(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.rep.Committed = true
	return nil
}

func (s *session) verify(ctx context.Context) error {
	tx, err := s.begin(ctx, true)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only
	if s.state, err = loadTables(ctx, tx, Tables, true); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	s.fates = map[string]map[string]fate{}
	for _, step := range s.opts.Steps {
		for _, t := range StepTables[step] {
			acts, _ := plan(t, s.recs[t], s.state[t], false, s.fateOf)
			s.rep.Tables = append(s.rep.Tables, count(t, step, acts, nil))
		}
	}
	// The invariant over the whole table, rows users added included: the
	// fingerprint covers seed rows only and cannot see a user's movement that
	// contradicts its item's location.
	if s.rep.BrokenChains, err = brokenChains(ctx, tx); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	s.rep.Fingerprint = fingerprintOf(s.state)
	return nil
}

func fingerprintOf(st map[string]*tableState) string {
	rows := map[string][]Record{}
	for t, ts := range st {
		for _, k := range ts.order {
			if r := ts.rows[k]; r.seedOwned {
				rows[t] = append(rows[t], r.rec)
			}
		}
	}
	return Fingerprint(rows)
}

func (s *session) fingerprint(ctx context.Context, tx pgx.Tx) error {
	if s.wrote {
		st, err := loadTables(ctx, tx, Tables, false)
		if err != nil {
			return fmt.Errorf("fingerprint: %w", err)
		}
		s.state = st
	}
	s.rep.Fingerprint = fingerprintOf(s.state)
	return nil
}

// checkPrerequisites: generate_movements needs the inventory's items and
// locations (seeded earlier in this run or before: present, whoever owns
// them); the other steps need only the schema.
func (s *session) checkPrerequisites(step string) error {
	if _, ranInventory := s.fates[TItems]; step != StepMovements || ranInventory {
		// Run in this run: what it could not create is a conflict, reported
		// per row by the movements that refer to it.
		return nil
	}
	items, locs := 0, 0
	for _, it := range s.ds.Items {
		if s.fateOf(TItems, it.AssetTag) != fateAbsent {
			items++
		}
	}
	for _, l := range s.ds.Locations {
		if s.fateOf(TLocations, l.Code) != fateAbsent {
			locs++
		}
	}
	if items < len(s.ds.Items) || locs < len(s.ds.Locations) {
		return fmt.Errorf("%w: %d of %d seed items and %d of %d seed locations present; run %s first",
			ErrPrerequisite, items, len(s.ds.Items), locs, len(s.ds.Locations), StepInventory)
	}
	return nil
}

func (s *session) runStep(ctx context.Context, tx pgx.Tx, step string) error {
	if err := s.checkPrerequisites(step); err != nil {
		return err
	}
	for _, t := range StepTables[step] {
		acts, disown := plan(t, s.recs[t], s.state[t], s.opts.Reseed, s.fateOf)
		fates := make(map[string]fate, len(acts))
		for _, p := range acts {
			if p.delKey == "" { // dataset rows only
				fates[p.rec.KeyString()] = p.fate
			}
		}
		s.fates[t] = fates
		wrote, err := s.write(ctx, tx, t, acts, disown)
		if err != nil {
			return err
		}
		s.wrote = s.wrote || wrote
		s.rep.Tables = append(s.rep.Tables, count(t, step, acts, disown))
	}
	if step == StepRoles {
		return s.adminPassword(ctx, tx)
	}
	return nil
}

func recArgs(r Record) []any {
	args := make([]any, 0, len(r.Key)+len(r.Vals)+1)
	for _, k := range r.Key {
		args = append(args, k)
	}
	for _, v := range r.Vals {
		args = append(args, v)
	}
	return args
}

// write sends a table's updates, inserts, disowns and ledger changes in one
// pipelined batch; every row statement must touch exactly one row. Updates
// go first, so a reseed that restores a renamed seed row frees its old name
// before a restored row takes it.
func (s *session) write(ctx context.Context, tx pgx.Tx, table string, acts, disown []planned) (bool, error) {
	spec := tableSQLs[table]
	b := &pgx.Batch{}
	one := func(what string, key string) func(pgconn.CommandTag) error {
		return func(ct pgconn.CommandTag) error {
			if ct.RowsAffected() != 1 {
				return fmt.Errorf("%s %s %s: touched %d rows, want 1 (a referenced row is missing?)", what, table, key, ct.RowsAffected())
			}
			return nil
		}
	}
	const ledgerUpsert = `INSERT INTO seed_ledger (table_name, natural_key, row_hash) VALUES ($1, $2, $3)
		ON CONFLICT (table_name, natural_key) DO UPDATE SET row_hash = EXCLUDED.row_hash`
	for _, pass := range []action{actUpdate, actLedgerOnly, actCreate} {
		for _, p := range acts {
			if p.act != pass {
				continue
			}
			k := p.rec.KeyString()
			switch p.act {
			case actCreate:
				args := recArgs(p.rec)
				if table == TUsers {
					h, err := s.passwordHashFor(p.rec.Key[0])
					if err != nil {
						return false, err
					}
					args = append(args, h)
				}
				b.Queue(spec.insert, args...).Exec(one("insert", k))
			case actUpdate:
				b.Queue(spec.update, recArgs(p.rec)...).Exec(one("update", k))
			}
			b.Queue(ledgerUpsert, table, k, p.hash)
		}
	}
	for _, p := range disown {
		b.Queue(`UPDATE `+pgx.Identifier{table}.Sanitize()+` SET seed_owned = false WHERE ctid = $1::tid`, p.ctid).Exec(one("disown", p.delKey))
		b.Queue(`DELETE FROM seed_ledger WHERE table_name = $1 AND natural_key = $2`, table, p.delKey)
	}
	if b.Len() == 0 {
		return false, nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return false, fmt.Errorf("write %s: %w", table, err)
	}
	return true, nil
}

// passwordHashFor returns the password hash a new seed user gets: the admin's
// from the environment (or generated when allowed), nothing for others.
func (s *session) passwordHashFor(username string) (any, error) {
	if username != AdminUsername {
		return nil, nil
	}
	if s.adminHash == "" {
		h, how, err := s.newAdminHash()
		if err != nil {
			return nil, err
		}
		s.adminHash = h
		if s.rep.AdminPassword == "" {
			s.rep.AdminPassword = how
		}
	}
	return s.adminHash, nil
}

func (s *session) newAdminHash() (hash, how string, err error) {
	pw, how := s.opts.AdminPassword, "created"
	if pw == "" {
		if !s.opts.GenerateAdminPassword {
			return "", "", fmt.Errorf("%w: SEED_ADMIN_PASSWORD is not set and user %q needs a password (locally, -generate-admin-password makes one)", ErrAdminPassword, AdminUsername)
		}
		if pw, err = GeneratePassword(); err != nil {
			return "", "", err
		}
		how = "generated"
		// Printed by Run once the run has committed, never before: a
		// password shown for a rolled-back run would log in nowhere.
		s.rep.generatedPassword = pw
	}
	hash, err = HashPassword(pw)
	return hash, how, err
}

// adminPassword handles the admin's password after the roles step: set when
// the user was created, reset only when asked, otherwise kept. Only the
// seed's admin is ever touched: an "admin" users created is a conflict.
func (s *session) adminPassword(ctx context.Context, tx pgx.Tx) error {
	switch {
	case s.rep.AdminPassword != "":
		// just created with the user
	case s.opts.ResetAdminPassword:
		if s.fateOf(TUsers, AdminUsername) != fateSeed {
			return fmt.Errorf("%w: reset admin password: user %q is not the seeder's (a row users added, or deleted); the seeder changes only its own rows", ErrConflict, AdminUsername)
		}
		h, how, err := s.newAdminHash()
		if err != nil {
			return err
		}
		ct, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE username = $1 AND seed_owned`, AdminUsername, h)
		if err != nil {
			return fmt.Errorf("reset admin password: %w", err)
		}
		if ct.RowsAffected() != 1 {
			return fmt.Errorf("reset admin password: seed user %q not found", AdminUsername)
		}
		s.rep.AdminPassword = "reset"
		if how == "generated" {
			s.rep.AdminPassword = "generated"
		}
	case s.fateOf(TUsers, AdminUsername) != fateSeed:
		s.rep.AdminPassword = "untouched (not the seeder's user)"
	default:
		s.rep.AdminPassword = "kept"
	}
	return nil
}

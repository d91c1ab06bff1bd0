package seeddata

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// session is one run's state: the connection, the dataset in record form and
// the report being filled.
type session struct {
	conn *pgx.Conn
	ds   *Dataset
	recs map[string][]Record
	opts Options
	out  io.Writer
	rep  *Report

	adminHash string // computed lazily: argon2id costs ~50 ms

	// loaded holds the tables as last read; wrote says whether anything was
	// written since, so a no-op run fingerprints what it read already.
	loaded map[string]*tableState
	wrote  bool
}

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
	actLedgerOnly // row equals the dataset but the ledger lacks or misstates it
)

type planned struct {
	act    action
	rec    Record
	why    string // drift reason
	hash   string
	ctid   string // for disown
	delKey string // ledger key to delete on disown
}

// plan decides, for every dataset row of a table, what a run does:
//
//	absent, never seeded here           → create
//	absent, in the ledger               → drift (a user deleted it); reseed: create
//	present, not seed-owned             → drift (a user's row holds the key); never touched
//	present, equal to the dataset       → unchanged
//	present, equal to the ledger        → update (the dataset changed since)
//	present, differs from the ledger    → drift (a user edited it); reseed: update
//
// and for seed-owned rows whose key is not in the dataset: drift, or in a
// reseed, disown (seed_owned = false; kept, never deleted, so nothing a user
// made can be lost with it).
func plan(table string, want []Record, st *tableState, reseed bool) (acts []planned, disown []planned) {
	inData := make(map[string]bool, len(want))
	for _, rec := range want {
		k := rec.KeyString()
		inData[k] = true
		h := rec.Hash(table)
		row, present := st.rows[k]
		led, inLedger := st.ledger[k]
		p := planned{rec: rec, hash: h}
		switch {
		case !present && inLedger && !reseed:
			p.act, p.why = actDrift, "deleted since seeded (not recreated; a confirmed reseed restores it)"
		case !present:
			p.act = actCreate
		case !row.seedOwned:
			p.act, p.why = actDrift, "a row users added holds this natural key (left alone)"
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
		acts = append(acts, p)
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
		default:
			c.Unchanged++
		}
	}
	return c
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
	if w := time.Since(lockStart); w > 100*time.Millisecond {
		fmt.Fprintf(s.out, "seed: waited %d ms for another seeder to finish\n", w.Milliseconds())
	}
	if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = 0`); err != nil {
		return fmt.Errorf("reset lock_timeout: %w", err)
	}
	for _, step := range s.opts.Steps {
		t0 := time.Now()
		if err := s.runStep(ctx, tx, step); err != nil {
			return fmt.Errorf("%s: %w", step, err)
		}
		fmt.Fprintf(s.out, "step %s: %d ms\n", step, time.Since(t0).Milliseconds())
	}
	if err := s.fingerprint(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (s *session) verify(ctx context.Context) error {
	tx, err := s.begin(ctx, true)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only
	st, err := loadTables(ctx, tx, Tables, true)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	for _, step := range s.opts.Steps {
		for _, t := range StepTables[step] {
			acts, _ := plan(t, s.recs[t], st[t], false)
			c := count(t, step, acts, nil)
			s.rep.Tables = append(s.rep.Tables, c)
			fmt.Fprintf(s.out, "  %-22s missing %4d  would update %4d  unchanged %4d  drift %4d\n", t, c.Created, c.Updated, c.Unchanged, c.Drift)
			s.printDrift(c)
		}
	}
	s.rep.Fingerprint = fingerprintOf(st)
	return nil
}

func (s *session) printDrift(c TableCounts) {
	const show = 5
	for i, k := range c.DriftKeys {
		if i == show {
			fmt.Fprintf(s.out, "    … and %d more drifted rows in %s\n", len(c.DriftKeys)-show, c.Table)
			break
		}
		fmt.Fprintf(s.out, "    drift %s %s\n", c.Table, k)
	}
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
	var missing []string
	for _, t := range Tables {
		if _, ok := s.loaded[t]; !ok || s.wrote {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		st, err := loadTables(ctx, tx, missing, false)
		if err != nil {
			return fmt.Errorf("fingerprint: %w", err)
		}
		for t, ts := range st {
			s.loaded[t] = ts
		}
	}
	s.rep.Fingerprint = fingerprintOf(s.loaded)
	return nil
}

// prerequisites: generate_movements needs the inventory's items and
// locations; the other steps need only the schema.
func (s *session) checkPrerequisites(ctx context.Context, tx pgx.Tx, step string) error {
	if step != StepMovements {
		return nil
	}
	var tags, codes []string
	for _, it := range s.ds.Items {
		tags = append(tags, it.AssetTag)
	}
	for _, l := range s.ds.Locations {
		codes = append(codes, l.Code)
	}
	var items, locs int
	err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM items WHERE asset_tag = ANY($1)),
		(SELECT count(*) FROM locations WHERE code = ANY($2))`, tags, codes).Scan(&items, &locs)
	if err != nil {
		return fmt.Errorf("check prerequisites: %w", err)
	}
	if items < len(tags) || locs < len(codes) {
		return fmt.Errorf("%w: %d of %d seed items and %d of %d seed locations present; run %s first",
			ErrPrerequisite, items, len(tags), locs, len(codes), StepInventory)
	}
	return nil
}

func (s *session) runStep(ctx context.Context, tx pgx.Tx, step string) error {
	if err := s.checkPrerequisites(ctx, tx, step); err != nil {
		return err
	}
	tables := StepTables[step]
	// One round trip reads the step's tables and their ledger. Loading a
	// child table before its parents are written is sound: writes never
	// change a natural key, and rows that exist already reference parents
	// that exist already.
	st, err := loadTables(ctx, tx, tables, true)
	if err != nil {
		return err
	}
	for _, t := range tables {
		s.loaded[t] = st[t]
		acts, disown := plan(t, s.recs[t], st[t], s.opts.Reseed)
		wrote, err := s.write(ctx, tx, t, acts, disown)
		if err != nil {
			return err
		}
		s.wrote = s.wrote || wrote
		c := count(t, step, acts, disown)
		s.rep.Tables = append(s.rep.Tables, c)
		line := fmt.Sprintf("  %-22s created %4d  updated %4d  unchanged %4d  drift %4d", t, c.Created, c.Updated, c.Unchanged, c.Drift)
		if s.opts.Reseed {
			line += fmt.Sprintf("  disowned %d", c.Disowned)
		}
		fmt.Fprintln(s.out, line)
		s.printDrift(c)
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

// write sends a table's inserts, updates, disowns and ledger changes in one
// pipelined batch; every row statement must touch exactly one row.
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
	for _, p := range acts {
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
		case actLedgerOnly:
		default:
			continue
		}
		b.Queue(ledgerUpsert, table, k, p.hash)
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
		// The one and only time a password is printed: generated locally,
		// for the developer to log in with.
		fmt.Fprintf(s.out, "admin password (generated, shown once, store it now): %s\n", pw)
	}
	hash, err = HashPassword(pw)
	return hash, how, err
}

// adminPassword handles the admin's password after the roles step: set when
// the user was created, reset only when asked, otherwise kept.
func (s *session) adminPassword(ctx context.Context, tx pgx.Tx) error {
	switch {
	case s.rep.AdminPassword != "":
		// just created with the user
	case s.opts.ResetAdminPassword:
		h, how, err := s.newAdminHash()
		if err != nil {
			return err
		}
		ct, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE username = $1`, AdminUsername, h)
		if err != nil {
			return fmt.Errorf("reset admin password: %w", err)
		}
		if ct.RowsAffected() != 1 {
			return fmt.Errorf("reset admin password: user %q not found", AdminUsername)
		}
		s.rep.AdminPassword = "reset"
		if how == "generated" {
			s.rep.AdminPassword = "generated"
		}
	default:
		s.rep.AdminPassword = "kept"
	}
	fmt.Fprintf(s.out, "  admin password: %s\n", s.rep.AdminPassword)
	return nil
}

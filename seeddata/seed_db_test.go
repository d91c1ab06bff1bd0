package seeddata

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"pgregory.net/rapid"

	"github.com/equiptrack/release-kit/magefiles/containertest"
	"github.com/equiptrack/release-kit/seeddata/schema"
)

// The seeder's tests run against real PostgreSQL and Redis containers shared
// by the package; each test has its own database. Without Docker the package
// fails (it never skips), except under -short.
func TestMain(m *testing.M) {
	os.Exit(containertest.Run(m, containertest.NeedBoth))
}

const testPassword = "test-admin-pw-4b1d" // a test fixture, not a secret

// Per-table created counts of a full seed of an empty database (README).
var fullCounts = map[string]int{
	TPermissions: 9, TRoles: 6, TRolePermissions: 37, TUsers: 1, TUserRoles: 1,
	TLocations: 8, TItemTypes: 7, TComponents: 36, TItems: 70, TChildItems: 380, TMovements: 155,
}

const fullTotal = 710

var fpLine = regexp.MustCompile(`(?m)^fingerprint: ([0-9a-f]{64})$`)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// migratedDB returns the URL of a new database with the schema applied.
func migratedDB(t *testing.T, ctx context.Context) string {
	t.Helper()
	u := containertest.PG(t).NewDatabase(ctx, t)
	if _, err := schema.ApplyURL(ctx, u); err != nil {
		t.Fatal(err)
	}
	return u
}

func dbName(t *testing.T, u string) string {
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(p.Path, "/")
}

func connectT(t *testing.T, ctx context.Context, u string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func seed(t *testing.T, ctx context.Context, o Options) (Report, string) {
	t.Helper()
	if o.AdminPassword == "" && !o.GenerateAdminPassword {
		o.AdminPassword = testPassword
	}
	var out bytes.Buffer
	rep, err := Run(ctx, o, &out)
	if err != nil {
		t.Fatalf("seed %v: %v\n%s", o.Steps, err, out.String())
	}
	return rep, out.String()
}

func queryInt(t *testing.T, ctx context.Context, c *pgx.Conn, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := c.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestFullSeedOfEmptyDatabase(t *testing.T) {
	t.Parallel() // own database; overlaps the waits on the 2-core machine
	ctx := testCtx(t)
	u := migratedDB(t, ctx)
	rep, out := seed(t, ctx, Options{DatabaseURL: u})
	for table, n := range fullCounts {
		c := rep.Table(table)
		if c.Created != n || c.Updated != 0 || c.Unchanged != 0 || c.Drift != 0 {
			t.Errorf("%s: %+v, want created %d only", table, c, n)
		}
	}
	if tot := rep.Totals(); tot.Created != fullTotal {
		t.Errorf("created %d rows, want %d", tot.Created, fullTotal)
	}
	// Count in the database itself, independently of the report.
	c := connectT(t, ctx, u)
	for table, n := range fullCounts {
		if got := queryInt(t, ctx, c, `SELECT count(*) FROM `+table+` WHERE seed_owned`); got != n {
			t.Errorf("%s holds %d seed rows, want %d", table, got, n)
		}
	}
	for kind, n := range map[string]int{"hospital": 5, "warehouse": 2, "quarantine": 1} {
		if got := queryInt(t, ctx, c, `SELECT count(*) FROM locations WHERE kind = $1`, kind); got != n {
			t.Errorf("%d %s locations, want %d", got, kind, n)
		}
	}
	if got := queryInt(t, ctx, c, `SELECT count(*) FROM items i JOIN item_types t ON t.id = i.item_type_id WHERE t.name = 'Clinical 1788'`); got != 10 {
		t.Errorf("%d Clinical 1788 parents, want 10", got)
	}
	// Every item's last movement ends where the item is.
	if got := queryInt(t, ctx, c, `SELECT count(*) FROM items i WHERE i.current_location_id <>
		(SELECT to_location_id FROM movements m WHERE m.item_id = i.id ORDER BY moved_at DESC LIMIT 1)`); got != 0 {
		t.Errorf("%d items not at the end of their movement chain", got)
	}
	m := fpLine.FindAllStringSubmatch(out, -1)
	if len(m) != 1 || m[0][1] != ExpectedFingerprint() || rep.Fingerprint != ExpectedFingerprint() {
		t.Errorf("fingerprint lines %q, report %s; want one line with %s", m, rep.Fingerprint, ExpectedFingerprint())
	}
	if !strings.Contains(out, "(full seed of an empty database)") {
		t.Errorf("output does not say it was a full seed:\n%s", out)
	}
	if strings.Contains(out, testPassword) {
		t.Error("the admin password appears in the output")
	}
	// The admin can log in with the environment's password, hashed with argon2id.
	var hash string
	if err := c.QueryRow(ctx, `SELECT password_hash FROM users WHERE username = 'admin'`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if ok, err := VerifyPassword(hash, testPassword); !ok || err != nil || !strings.HasPrefix(hash, "$argon2id$") {
		t.Fatalf("admin hash %q does not verify the password: %v", hash, err)
	}

	// A second run creates and changes nothing and says so.
	rep2, out2 := seed(t, ctx, Options{DatabaseURL: u})
	if tot := rep2.Totals(); tot.Created != 0 || tot.Updated != 0 || tot.Drift != 0 || tot.Unchanged != fullTotal {
		t.Errorf("re-run totals %+v, want %d unchanged only", tot, fullTotal)
	}
	if rep2.Fingerprint != ExpectedFingerprint() || !regexp.MustCompile(`\nseed: done in \d+ ms \(no-op re-run\): created 0, updated 0, unchanged 710, drift 0, conflicts 0, broken chains 0\n$`).MatchString(out2) {
		t.Errorf("re-run fingerprint %s / output does not end in the no-op line:\n%s", rep2.Fingerprint, out2)
	}
	t.Logf("full seed %d ms, no-op re-run %d ms", rep.Duration.Milliseconds(), rep2.Duration.Milliseconds())

	// Verify passes on it.
	var vout bytes.Buffer
	if vr, err := Run(ctx, Options{DatabaseURL: u, Verify: true}, &vout); err != nil || !vr.Verified {
		t.Fatalf("verify: %v\n%s", err, vout.String())
	}
}

// Step sequences that contain every step at least once and run
// generate_movements only after reseed_complete_inventory.
func stepSequence(t *rapid.T) []string {
	n := rapid.IntRange(3, 7).Draw(t, "len")
	var seq []string
	inventoryDone := false
	for len(seq) < n {
		s := rapid.SampledFrom(AllSteps).Draw(t, "step")
		if s == StepMovements && !inventoryDone {
			continue
		}
		inventoryDone = inventoryDone || s == StepInventory
		seq = append(seq, s)
	}
	have := map[string]bool{}
	for _, s := range seq {
		have[s] = true
	}
	for _, s := range AllSteps { // make sure all three ran, in a valid order
		if !have[s] {
			seq = append(seq, s)
		}
	}
	return seq
}

func withRapidChecks(t *testing.T, n int) {
	f := flag.Lookup("rapid.checks")
	if f == nil {
		t.Fatal("rapid.checks flag not registered")
	}
	old := f.Value.String()
	// Each check seeds a database several times; a handful of orders is
	// plenty to show order independence and keeps the package fast.
	if err := f.Value.Set(fmt.Sprint(n)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Value.Set(old) })
}

func TestRandomStepOrdersGiveTheFingerprintOfOneRun(t *testing.T) {
	ctx := testCtx(t)
	u := migratedDB(t, ctx)
	c := connectT(t, ctx, u)
	withRapidChecks(t, 10)
	rapid.Check(t, func(rt *rapid.T) {
		if _, err := c.Exec(ctx, `TRUNCATE movements, child_items, items, item_type_components, item_types, locations,
			user_roles, users, role_permissions, roles, permissions, seed_ledger`); err != nil {
			rt.Fatal(err)
		}
		for _, step := range stepSequence(rt) {
			var out bytes.Buffer
			if _, err := Run(ctx, Options{DatabaseURL: u, Steps: []string{step}, AdminPassword: testPassword}, &out); err != nil {
				rt.Fatalf("%s: %v\n%s", step, err, out.String())
			}
		}
		var out bytes.Buffer
		rep, err := Run(ctx, Options{DatabaseURL: u}, &out)
		if err != nil {
			rt.Fatal(err)
		}
		if rep.Fingerprint != ExpectedFingerprint() {
			rt.Fatalf("fingerprint %s, want %s", rep.Fingerprint, ExpectedFingerprint())
		}
		if tot := rep.Totals(); tot.Created != 0 || tot.Updated != 0 || tot.Drift != 0 {
			rt.Fatalf("final full run changed things: %+v", tot)
		}
	})
}

func TestMissingPrerequisiteFailsClearly(t *testing.T) {
	t.Parallel() // own database; overlaps the waits on the 2-core machine
	ctx := testCtx(t)
	u := migratedDB(t, ctx)
	var out bytes.Buffer
	_, err := Run(ctx, Options{DatabaseURL: u, Steps: []string{StepMovements}}, &out)
	if !errors.Is(err, ErrPrerequisite) {
		t.Fatalf("error %v, want ErrPrerequisite", err)
	}
	want := "generate_movements: prerequisite step missing: 0 of 70 seed items and 0 of 8 seed locations present; run reseed_complete_inventory first"
	if err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	c := connectT(t, ctx, u)
	if n := queryInt(t, ctx, c, `SELECT count(*) FROM movements`); n != 0 {
		t.Fatalf("%d movements written by a failed step", n)
	}
}

// Ids differ between databases; the fingerprint does not.
func TestFingerprintIgnoresGeneratedIDs(t *testing.T) {
	t.Parallel() // own database; overlaps the waits on the 2-core machine
	ctx := testCtx(t)
	u := migratedDB(t, ctx)
	c := connectT(t, ctx, u)
	for i, table := range []string{"permissions", "roles", "users", "locations", "item_types", "item_type_components", "items", "child_items", "movements"} {
		if _, err := c.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), $2)`, table, 100000+i*7919); err != nil {
			t.Fatal(err)
		}
	}
	rep, _ := seed(t, ctx, Options{DatabaseURL: u})
	if n := queryInt(t, ctx, c, `SELECT min(id) FROM items`); n <= 100000 {
		t.Fatalf("items ids start at %d: sequences were not advanced", n)
	}
	if rep.Fingerprint != ExpectedFingerprint() {
		t.Fatalf("fingerprint %s with advanced ids, want %s", rep.Fingerprint, ExpectedFingerprint())
	}
}

// Two seeders released at once: both succeed, one creates everything, the
// other finds it done. Only the advisory lock gives that: without it both
// would see an empty database and one would fail on a unique constraint.
func TestConcurrentSeedersBarrier(t *testing.T) {
	t.Parallel() // own database; overlaps the waits on the 2-core machine
	ctx := testCtx(t)
	u := migratedDB(t, ctx)
	const n = 2
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	reps := make([]Report, n)
	errs := make([]error, n)
	outs := make([]bytes.Buffer, n)
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			reps[i], errs[i] = Run(ctx, Options{DatabaseURL: u, AdminPassword: testPassword}, &outs[i])
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	created := []int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("seeder %d: %v\n%s", i, errs[i], outs[i].String())
		}
		tot := reps[i].Totals()
		created = append(created, tot.Created)
		if reps[i].Fingerprint != ExpectedFingerprint() {
			t.Errorf("seeder %d fingerprint %s", i, reps[i].Fingerprint)
		}
	}
	if !(created[0] == fullTotal && created[1] == 0) && !(created[0] == 0 && created[1] == fullTotal) {
		t.Fatalf("created %v, want one seeder %d and the other 0", created, fullTotal)
	}
	c := connectT(t, ctx, u)
	if got := queryInt(t, ctx, c, `SELECT count(*) FROM child_items`); got != 380 {
		t.Fatalf("%d child items after two seeders, want 380", got)
	}
}

func TestUserRowsSurviveAndConfirmedReseedRestores(t *testing.T) {
	t.Parallel() // own database; overlaps the waits on the 2-core machine
	ctx := testCtx(t)
	u := migratedDB(t, ctx)
	seed(t, ctx, Options{DatabaseURL: u})
	c := connectT(t, ctx, u)
	// What users do: add their own rows (some referencing seed rows), edit
	// seed rows, delete a seed row.
	userSQL := []string{
		`INSERT INTO locations (code, name, kind) VALUES ('HOSP-F', 'Hospital F', 'hospital')`,
		`INSERT INTO roles (name, description) VALUES ('Auditor', 'added by a user')`,
		`INSERT INTO role_permissions (role_id, permission_id) SELECT r.id, p.id FROM roles r, permissions p WHERE r.name = 'Auditor' AND p.name = 'reports:read'`,
		`INSERT INTO items (asset_tag, item_type_id, current_location_id) SELECT 'USER-001', t.id, l.id FROM item_types t, locations l WHERE t.code = 'STW' AND l.code = 'HOSP-F'`,
		`INSERT INTO child_items (serial, parent_item_id, component_id) SELECT 'USER-001-CCU-1', i.id, c.id FROM items i, item_type_components c JOIN item_types t ON t.id = c.item_type_id WHERE i.asset_tag = 'USER-001' AND t.code = 'STW' AND c.code = 'CCU'`,
		`INSERT INTO movements (item_id, from_location_id, to_location_id, moved_at, reason) SELECT i.id, f.id, t.id, '2026-02-01T10:00:00Z', 'user move' FROM items i, locations f, locations t WHERE i.asset_tag = 'ET-STW-001' AND f.id = i.current_location_id AND t.code = 'HOSP-F'`,
		`UPDATE items SET current_location_id = (SELECT id FROM locations WHERE code = 'HOSP-F') WHERE asset_tag = 'ET-STW-001'`,
		`UPDATE locations SET name = 'Hospital A (renamed by a user)' WHERE code = 'HOSP-A'`,
		`DELETE FROM role_permissions WHERE role_id = (SELECT id FROM roles WHERE name = 'Viewer') AND permission_id = (SELECT id FROM permissions WHERE name = 'reports:read')`,
		// Editing a natural key: the seed movement's key is gone, and a seed-owned row with a key the dataset lacks appears.
		`UPDATE movements SET moved_at = moved_at + interval '1 hour' WHERE id = (SELECT min(m.id) FROM movements m JOIN items i ON i.id = m.item_id WHERE i.asset_tag = 'ET-RISE-003')`,
	}
	for _, s := range userSQL {
		if _, err := c.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	userRows := func() string {
		var s string
		if err := c.QueryRow(ctx, `SELECT concat_ws(';',
			(SELECT count(*) FROM locations WHERE code = 'HOSP-F' AND name = 'Hospital F' AND NOT seed_owned),
			(SELECT count(*) FROM roles WHERE name = 'Auditor' AND NOT seed_owned),
			(SELECT count(*) FROM role_permissions rp JOIN roles r ON r.id = rp.role_id WHERE r.name = 'Auditor'),
			(SELECT count(*) FROM items WHERE asset_tag = 'USER-001' AND NOT seed_owned),
			(SELECT count(*) FROM child_items WHERE serial = 'USER-001-CCU-1'),
			(SELECT count(*) FROM movements WHERE reason = 'user move' AND NOT seed_owned))`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	const allUserRows = "1;1;1;1;1;1"
	if got := userRows(); got != allUserRows {
		t.Fatalf("user rows before %q", got)
	}

	// A normal run: touches no user row, reports the edits as drift, reverts
	// nothing, says so in its last line and fails (ErrDrift) — it is not a no-op.
	var dout bytes.Buffer
	rep, err := Run(ctx, Options{DatabaseURL: u}, &dout)
	out := dout.String()
	if !errors.Is(err, ErrDrift) || err.Error() != "drift left: committed, but 5 drifted rows, 0 conflicts and 0 broken movement chains remain (listed above); a confirmed reseed restores seed rows, -allowDrift=true accepts them" {
		t.Fatalf("normal run after user edits: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`\nseed: done in \d+ ms \(DRIFT LEFT: the database differs from the dataset\): created 0, updated 0, unchanged 706, drift 5, conflicts 0, broken chains 0\n$`).MatchString(out) || strings.Contains(out, "no-op") {
		t.Fatalf("last line does not say drift:\n%s", out)
	}
	if tot := rep.Totals(); tot.Created != 0 || tot.Updated != 0 || tot.Drift != 5 || !rep.Committed {
		t.Fatalf("normal run after user edits: %+v\n%s", tot, out)
	}
	// -allowDrift accepts it, and says so.
	if _, aout := seed(t, ctx, Options{DatabaseURL: u, AllowDrift: true}); !strings.Contains(aout, "(DRIFT LEFT, accepted by -allowDrift): created 0, updated 0, unchanged 706, drift 5") {
		t.Fatalf("allowed drift:\n%s", aout)
	}
	for table, drift := range map[string]int{TLocations: 1, TItems: 1, TRolePermissions: 1, TMovements: 2} {
		if rep.Table(table).Drift != drift {
			t.Errorf("%s drift %d, want %d", table, rep.Table(table).Drift, drift)
		}
	}
	for _, s := range []string{"drift locations HOSP-A: edited since seeded", "drift items ET-STW-001: edited since seeded", "drift role_permissions Viewer|reports:read: deleted since seeded"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	if n := queryInt(t, ctx, c, `SELECT count(*) FROM locations WHERE name = 'Hospital A (renamed by a user)'`); n != 1 {
		t.Error("a normal run reverted a user's edit")
	}
	if got := userRows(); got != allUserRows {
		t.Fatalf("user rows after a normal run %q", got)
	}
	if rep.Fingerprint == ExpectedFingerprint() {
		t.Fatal("fingerprint unchanged although seed rows were edited")
	}
	var vout bytes.Buffer
	if _, err := Run(ctx, Options{DatabaseURL: u, Verify: true}, &vout); !errors.Is(err, ErrFingerprintMismatch) {
		t.Fatalf("verify after edits: %v, want ErrFingerprintMismatch", err)
	}

	// A reseed with the wrong confirmation is refused, and changes nothing.
	before := rep.Fingerprint
	var wout bytes.Buffer
	_, err = Run(ctx, Options{DatabaseURL: u, Reseed: true, Confirm: "some-other-db"}, &wout)
	if !errors.Is(err, ErrReseedNotConfirmed) || !strings.Contains(err.Error(), `does not match the database name "`+dbName(t, u)+`"`) {
		t.Fatalf("wrong confirm: %v", err)
	}
	if r, _ := seed(t, ctx, Options{DatabaseURL: u, Verify: true, Expected: before}); r.Fingerprint != before {
		t.Fatal("a refused reseed changed the data")
	}

	// The confirmed reseed restores exactly the seed rows. ET-STW-001 is back
	// where the dataset has it, so the user's later movement (to HOSP-F) and
	// the re-keyed copy of ET-RISE-003's movement (handed to users) no longer
	// chain: both are removed and reported; every other user row stays.
	rep, out = seed(t, ctx, Options{DatabaseURL: u, Reseed: true, Confirm: dbName(t, u)})
	if tot := rep.Totals(); tot.Created != 2 || tot.Updated != 2 || tot.Drift != 0 || tot.Disowned != 1 || len(rep.BrokenChains) != 0 {
		t.Fatalf("reseed totals %+v, broken %v\n%s", tot, rep.BrokenChains, out)
	}
	if len(rep.RemovedMovements) != 2 || !strings.HasPrefix(rep.RemovedMovements[1], `ET-STW-001 2026-02-01T10:00:00.000000Z `) ||
		!strings.HasSuffix(rep.RemovedMovements[1], ` → HOSP-F ("user move")`) || !strings.HasPrefix(rep.RemovedMovements[0], "ET-RISE-003 ") {
		t.Fatalf("removed movements %q", rep.RemovedMovements)
	}
	if !strings.Contains(out, "reseed: removed movement ET-STW-001 2026-02-01T10:00:00.000000Z ") {
		t.Fatalf("reseed output does not name the removed movement:\n%s", out)
	}
	if rep.Fingerprint != ExpectedFingerprint() {
		t.Fatalf("fingerprint after reseed %s, want %s", rep.Fingerprint, ExpectedFingerprint())
	}
	if got, want := userRows(), "1;1;1;1;1;0"; got != want {
		t.Fatalf("user rows after reseed %q, want %q", got, want)
	}
	if n := queryInt(t, ctx, c, `SELECT count(*) FROM movements m JOIN items i ON i.id = m.item_id WHERE i.asset_tag = 'ET-RISE-003' AND NOT m.seed_owned`); n != 0 {
		t.Fatalf("%d user movements of ET-RISE-003 left, want 0", n)
	}
	// The chain invariant holds for every item, checked with the test's own SQL.
	if n := queryInt(t, ctx, c, brokenChainsSQL); n != 0 {
		t.Fatalf("%d items with a broken movement chain after the reseed", n)
	}
	// And a normal run afterwards is a no-op, and verify passes.
	if rep, _ := seed(t, ctx, Options{DatabaseURL: u}); rep.Totals().Created+rep.Totals().Updated+rep.Totals().Drift != 0 {
		t.Fatalf("run after reseed: %+v", rep.Totals())
	}
	if vr, _ := seed(t, ctx, Options{DatabaseURL: u, Verify: true}); !vr.Verified {
		t.Fatal("verify after reseed failed")
	}
	// And the admin's password was not touched by any of it.
	var hash string
	if err := c.QueryRow(ctx, `SELECT password_hash FROM users WHERE username = 'admin'`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if ok, _ := VerifyPassword(hash, testPassword); !ok {
		t.Fatal("admin password changed by a run that did not ask to")
	}
}

func TestAdminPassword(t *testing.T) {
	t.Parallel() // own database; overlaps the waits on the 2-core machine
	ctx := testCtx(t)
	u := migratedDB(t, ctx)
	c := connectT(t, ctx, u)
	hashOf := func() string {
		var h string
		if err := c.QueryRow(ctx, `SELECT password_hash FROM users WHERE username = 'admin'`).Scan(&h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	// Absent and not allowed to generate: a clear error, nothing written.
	var out bytes.Buffer
	_, err := Run(ctx, Options{DatabaseURL: u, Steps: []string{StepRoles}}, &out)
	if !errors.Is(err, ErrAdminPassword) || !strings.Contains(err.Error(), "SEED_ADMIN_PASSWORD is not set") {
		t.Fatalf("no password: %v", err)
	}
	// The tables written before the failure say "rolled back", never "created".
	for _, want := range []string{"  permissions            rolled back (would have created 9, updated 0)\n",
		"  roles                  rolled back (would have created 6, updated 0)\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("failed run output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "created    9") || !regexp.MustCompile(`\nseed: failed after \d+ ms and rolled back: nothing was written\n$`).MatchString(out.String()) {
		t.Errorf("failed run output:\n%s", out.String())
	}
	if n := queryInt(t, ctx, c, `SELECT count(*) FROM roles`); n != 0 {
		t.Fatalf("%d roles written by a failed run", n)
	}
	// Locally: generated and printed once.
	rep, out1 := seed(t, ctx, Options{DatabaseURL: u, Steps: []string{StepRoles}, GenerateAdminPassword: true})
	m := regexp.MustCompile(`(?m)^admin password \(generated, shown once, store it now\): ([A-Za-z0-9]{24})$`).FindStringSubmatch(out1)
	if m == nil || rep.AdminPassword != "generated" {
		t.Fatalf("no generated password line (report %q):\n%s", rep.AdminPassword, out1)
	}
	if ok, _ := VerifyPassword(hashOf(), m[1]); !ok {
		t.Fatal("the printed password does not log in")
	}
	// Re-run, even with a password in the environment: kept, not printed.
	h := hashOf()
	rep, out2 := seed(t, ctx, Options{DatabaseURL: u, Steps: []string{StepRoles}, AdminPassword: "another-one-pw", GenerateAdminPassword: true})
	if rep.AdminPassword != "kept" || hashOf() != h || strings.Contains(out2, m[1]) || strings.Contains(out2, "another-one-pw") {
		t.Fatalf("re-run touched or printed the password (report %q):\n%s", rep.AdminPassword, out2)
	}
	// Asked to: reset from the environment.
	rep, out3 := seed(t, ctx, Options{DatabaseURL: u, Steps: []string{StepRoles}, AdminPassword: "another-one-pw", ResetAdminPassword: true})
	if ok, _ := VerifyPassword(hashOf(), "another-one-pw"); !ok || rep.AdminPassword != "reset" || strings.Contains(out3, "another-one-pw") {
		t.Fatalf("reset: report %q, output:\n%s", rep.AdminPassword, out3)
	}
}

func TestRedisCacheKeysInvalidated(t *testing.T) {
	t.Parallel() // own database; overlaps the waits on the 2-core machine
	ctx := testCtx(t)
	u := migratedDB(t, ctx)
	ru := containertest.SharedRedis(t).NewDB(t)
	opt, err := redis.ParseURL(ru)
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opt)
	defer rc.Close()
	others := []string{"equiptrack:session:abc", "equiptrack:cachex", "other:equiptrack:cache:x", "equiptrack:CACHE:y"}
	pipe := rc.Pipeline()
	pipe.Set(ctx, "equiptrack:cache:reporting:summary", "{}", 0)
	for i := range 2500 { // more than one SCAN page
		pipe.Set(ctx, fmt.Sprintf("equiptrack:cache:items:%d", i), "x", 0)
	}
	for _, k := range others {
		pipe.Set(ctx, k, "keep", 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	rep, out := seed(t, ctx, Options{DatabaseURL: u, RedisURL: ru})
	if rep.CacheKeysDeleted != 2501 || !strings.Contains(out, "cache: deleted 2501 keys matching equiptrack:cache:*") {
		t.Fatalf("deleted %d keys, want 2501:\n%s", rep.CacheKeysDeleted, out)
	}
	if n := rc.Exists(ctx, "equiptrack:cache:reporting:summary", "equiptrack:cache:items:0", "equiptrack:cache:items:2499").Val(); n != 0 {
		t.Fatalf("%d cache keys survived the seed", n)
	}
	if n := rc.Exists(ctx, others...).Val(); n != int64(len(others)) {
		t.Fatalf("only %d of %d other keys survived", n, len(others))
	}
	if n := rc.DBSize(ctx).Val(); n != int64(len(others)) {
		t.Fatalf("%d keys left, want %d", n, len(others))
	}
	if ReportingSummaryKey != "equiptrack:cache:reporting:summary" || CacheKeyPattern != "equiptrack:cache:*" {
		t.Fatal("the documented cache-key contract changed")
	}
}

func TestErrorPaths(t *testing.T) {
	t.Parallel() // own database; overlaps the waits on the 2-core machine
	ctx := testCtx(t)
	pg := containertest.PG(t)
	// No schema: "run migrations first", nothing created.
	empty := pg.NewDatabase(ctx, t)
	var out bytes.Buffer
	_, err := Run(ctx, Options{DatabaseURL: empty, AdminPassword: testPassword}, &out)
	if !errors.Is(err, ErrNotMigrated) || !strings.HasSuffix(err.Error(), "run migrations first") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("no schema: %v", err)
	}
	// A database that does not exist: the server answers, so not "unreachable".
	_, err = Run(ctx, Options{DatabaseURL: pg.URL("no_such_db", "disable")}, &out)
	if err == nil || !strings.Contains(err.Error(), `database "no_such_db" does not exist`) || strings.Contains(err.Error(), pg.Password) {
		t.Fatalf("missing database: %v", err)
	}
	// Unreachable: a port nothing listens on.
	_, err = Run(ctx, Options{DatabaseURL: "postgres://u:hunter2@127.0.0.1:1/x?sslmode=disable", ConnectTimeout: 5 * time.Second}, &out)
	if !errors.Is(err, ErrUnreachable) || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("unreachable: %v", err)
	}
	// Redis unreachable: found before the database is touched, one line,
	// nothing written.
	migrated := migratedDB(t, ctx)
	mc := connectT(t, ctx, migrated)
	_, err = Run(ctx, Options{DatabaseURL: migrated, RedisURL: "redis://127.0.0.1:1/0", AdminPassword: testPassword}, &out)
	if err == nil || err.Error() != "cache unreachable: redis 127.0.0.1:1: dial tcp 127.0.0.1:1: connect: connection refused; nothing written" || !errors.Is(err, ErrUnreachable) {
		t.Fatalf("redis unreachable: %v", err)
	}
	if n := queryInt(t, ctx, mc, `SELECT count(*) FROM permissions`); n != 0 {
		t.Fatalf("%d rows written although Redis was unreachable", n)
	}
	// Bad options before any work: every one of them, on a migrated
	// database that stays empty.
	for _, o := range []Options{
		{},
		{DatabaseURL: migrated, Steps: []string{"bogus"}},
		{DatabaseURL: migrated, Verify: true, Reseed: true, Confirm: "x"},
		{DatabaseURL: migrated, Confirm: "x"},
		{DatabaseURL: migrated, Verify: true, Expected: "abc"},
		{DatabaseURL: migrated, Steps: []string{}},
		{DatabaseURL: migrated, RedisURL: "redis://h:notaport/0", AdminPassword: testPassword},
		{DatabaseURL: migrated, RedisURL: "http://h:6379/0", AdminPassword: testPassword},
		{DatabaseURL: migrated, AdminPassword: "elevenchars"},
		{DatabaseURL: migrated, Verify: true, AllowDrift: true},
		{DatabaseURL: "postgres://u:pw@h:notaport/d", AdminPassword: testPassword},
	} {
		if _, err := Run(ctx, o, &out); !errors.Is(err, ErrBadOptions) {
			t.Errorf("options %+v: %v, want ErrBadOptions", o, err)
		}
	}
	if n := queryInt(t, ctx, mc, `SELECT count(*) FROM permissions`); n != 0 {
		t.Fatalf("%d rows written by runs with bad options", n)
	}
	if _, err := Run(ctx, Options{DatabaseURL: empty, Reseed: true}, &out); !errors.Is(err, ErrReseedNotConfirmed) {
		t.Errorf("reseed without confirm: %v", err)
	}
}

// RDS for PostgreSQL 15+ forces SSL: the seeder works with sslmode=require,
// and the connection really is encrypted.
func TestSSLModeRequire(t *testing.T) {
	t.Parallel() // own database; overlaps the waits on the 2-core machine
	ctx := testCtx(t)
	pg := containertest.PG(t)
	name := dbName(t, migratedDB(t, ctx))
	u := pg.URL(name, "require")
	rep, _ := seed(t, ctx, Options{DatabaseURL: u})
	if rep.Fingerprint != ExpectedFingerprint() {
		t.Fatalf("fingerprint over TLS %s", rep.Fingerprint)
	}
	c := connectT(t, ctx, u)
	var ssl bool
	if err := c.QueryRow(ctx, `SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&ssl); err != nil || !ssl {
		t.Fatalf("sslmode=require connection not encrypted: %v %v", ssl, err)
	}
}

// Two migrators at once: both succeed, the schema is applied once.
func TestSchemaApplyConcurrentAndIdempotent(t *testing.T) {
	t.Parallel() // own database; overlaps the waits on the 2-core machine
	ctx := testCtx(t)
	u := containertest.PG(t).NewDatabase(ctx, t)
	var wg sync.WaitGroup
	res := make([][]int, 2)
	errs := make([]error, 2)
	start := make(chan struct{})
	for i := range 2 {
		wg.Go(func() { <-start; res[i], errs[i] = schema.ApplyURL(ctx, u) })
	}
	close(start)
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("concurrent migrations: %v / %v", errs[0], errs[1])
	}
	if len(res[0])+len(res[1]) != 1 {
		t.Fatalf("applied %v and %v, want migration 1 applied exactly once", res[0], res[1])
	}
	c := connectT(t, ctx, u)
	if n := queryInt(t, ctx, c, `SELECT count(*) FROM schema_migrations`); n != 1 {
		t.Fatalf("%d rows in schema_migrations, want 1", n)
	}
	if err := schema.Check(ctx, c); err != nil {
		t.Fatal(err)
	}
}

// A seeder that cannot get the lock in time gives up with one clear line and
// writes nothing.
func TestLockTimeout(t *testing.T) {
	t.Parallel() // own database; overlaps the waits on the 2-core machine
	ctx := testCtx(t)
	u := migratedDB(t, ctx)
	holder := connectT(t, ctx, u)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, seedLockKey); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	t0 := time.Now()
	_, err = Run(ctx, Options{DatabaseURL: u, AdminPassword: testPassword, LockTimeout: 700 * time.Millisecond}, &out)
	if !errors.Is(err, ErrLocked) || err.Error() != "another seeder holds the lock for more than 700ms" {
		t.Fatalf("error %v, want ErrLocked", err)
	}
	if d := time.Since(t0); d < 700*time.Millisecond || d > 20*time.Second {
		t.Fatalf("gave up after %s, want about 700ms", d)
	}
	if n := queryInt(t, ctx, connectT(t, ctx, u), `SELECT count(*) FROM permissions`); n != 0 {
		t.Fatalf("%d rows written without the lock", n)
	}
}

package seeddata

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/equiptrack/release-kit/magefiles/containertest"
	"github.com/equiptrack/release-kit/seeddata/dbconfig"
	"github.com/equiptrack/release-kit/seeddata/schema"
)

// brokenChainsSQL counts the items whose movements do not form an unbroken
// chain, written independently of the seeder's own check (correlated
// subqueries instead of window functions).
const brokenChainsSQL = `SELECT count(*) FROM items i
	WHERE EXISTS (SELECT 1 FROM movements m WHERE m.item_id = i.id) AND (
	  i.current_location_id <> (SELECT m.to_location_id FROM movements m WHERE m.item_id = i.id ORDER BY m.moved_at DESC LIMIT 1)
	  OR EXISTS (SELECT 1 FROM movements a
	    JOIN LATERAL (SELECT b.to_location_id FROM movements b WHERE b.item_id = a.item_id AND b.moved_at < a.moved_at
	                  ORDER BY b.moved_at DESC LIMIT 1) p ON true
	    WHERE a.item_id = i.id AND p.to_location_id <> a.from_location_id))`

// A user's movement that contradicts its item's location is invisible to the
// fingerprint (seed rows only); verify checks the chain over the whole table
// and fails, and a seed run reports it as drift.
func TestVerifySeesABrokenChain(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	u := migratedDB(t, ctx)
	seed(t, ctx, Options{DatabaseURL: u})
	c := connectT(t, ctx, u)
	if _, err := c.Exec(ctx, `INSERT INTO movements (item_id, from_location_id, to_location_id, moved_at, reason)
		SELECT i.id, i.current_location_id, l.id, '2026-03-01T09:00:00Z', 'recorded, location not updated'
		FROM items i, locations l WHERE i.asset_tag = 'ET-ME1688-004' AND l.code = 'QUAR-1' AND i.current_location_id <> l.id`); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, ctx, c, brokenChainsSQL); n != 1 {
		t.Fatalf("setup: %d broken chains, want 1", n)
	}
	var out bytes.Buffer
	rep, err := Run(ctx, Options{DatabaseURL: u, Verify: true}, &out)
	if !errors.Is(err, ErrBrokenChain) || errors.Is(err, ErrFingerprintMismatch) || rep.Fingerprint != ExpectedFingerprint() {
		t.Fatalf("verify: %v (fingerprint %s)\n%s", err, rep.Fingerprint, out.String())
	}
	if len(rep.BrokenChains) != 1 || rep.BrokenChains[0].AssetTag != "ET-ME1688-004" || rep.BrokenChains[0].LastTo != "QUAR-1" {
		t.Fatalf("broken chains %+v", rep.BrokenChains)
	}
	if !strings.Contains(out.String(), "    chain broken ET-ME1688-004 (seed item): last movement ends at QUAR-1, item is at ") ||
		!strings.Contains(out.String(), "\nverify: FAILED: movement chain broken: 1 item(s), first ET-ME1688-004 (seed item): last movement ends at QUAR-1") {
		t.Fatalf("verify output:\n%s", out.String())
	}
	out.Reset()
	if _, err := Run(ctx, Options{DatabaseURL: u}, &out); !errors.Is(err, ErrDrift) || !strings.HasSuffix(out.String(), "drift 0, conflicts 0, broken chains 1\n") {
		t.Fatalf("seed over a broken chain: %v\n%s", err, out.String())
	}
}

// The seeder writes seed-owned rows only and never points a seed row at a
// row users added: a user's "admin" gets no role and keeps its password, a
// user's row holding a seed location's or item type's name is a conflict
// (not a unique-violation error), and what depends on a conflict is one too.
func TestOwnershipConflicts(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	u := migratedDB(t, ctx)
	c := connectT(t, ctx, u)
	for _, q := range []string{
		`INSERT INTO users (username, display_name, email, password_hash) VALUES ('admin', 'Pat (a user)', 'pat@example.org', 'users-own-hash')`,
		`INSERT INTO locations (code, name, kind) VALUES ('HOSP-Z', 'Hospital A', 'hospital')`,
		`INSERT INTO item_types (code, name) VALUES ('USR', 'Sports Tower')`,
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var out bytes.Buffer
	rep, err := Run(ctx, Options{DatabaseURL: u, AdminPassword: testPassword}, &out)
	if !errors.Is(err, ErrDrift) || !rep.Committed {
		t.Fatalf("run with user rows in the way: %v\n%s", err, out.String())
	}
	for table, n := range map[string]int{TUsers: 1, TUserRoles: 1, TLocations: 1, TItemTypes: 1, TComponents: 6, TPermissions: 0, TRoles: 0} {
		if got := rep.Table(table).Conflicts; got != n {
			t.Errorf("%s: %d conflicts, want %d", table, got, n)
		}
	}
	for _, want := range []string{
		"    conflict users admin: a row users added holds this key (left alone)\n",
		"    conflict user_roles admin|admin: refers to users admin, a row users added (left alone)\n",
		"    conflict locations HOSP-A: name \"Hospital A\" is held by a row users added (HOSP-Z); left alone\n",
		"    conflict item_types STW: name \"Sports Tower\" is held by a row users added (USR); left alone\n",
		"    conflict item_type_components STW|CCU: refers to item_types STW, which is not a seed row (conflict or deleted)\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out.String(), "SQLSTATE") {
		t.Errorf("a raw database error in the output:\n%s", out.String())
	}
	// The user's admin: no role, its own password, its own fields.
	if n := queryInt(t, ctx, c, `SELECT count(*) FROM user_roles ur JOIN users u ON u.id = ur.user_id WHERE u.username = 'admin'`); n != 0 {
		t.Errorf("the user's admin got %d roles", n)
	}
	var hash, name string
	var owned bool
	if err := c.QueryRow(ctx, `SELECT password_hash, display_name, seed_owned FROM users WHERE username = 'admin'`).Scan(&hash, &name, &owned); err != nil {
		t.Fatal(err)
	}
	if hash != "users-own-hash" || name != "Pat (a user)" || owned {
		t.Errorf("the user's admin changed: %q %q %v", hash, name, owned)
	}
	// No seed row points at a row users added, or at nothing.
	for _, q := range []string{
		`SELECT count(*) FROM items i JOIN locations l ON l.id = i.current_location_id JOIN item_types t ON t.id = i.item_type_id WHERE i.seed_owned AND NOT (l.seed_owned AND t.seed_owned)`,
		`SELECT count(*) FROM item_type_components ct JOIN item_types t ON t.id = ct.item_type_id WHERE ct.seed_owned AND NOT t.seed_owned`,
		`SELECT count(*) FROM movements m JOIN items i ON i.id = m.item_id JOIN locations f ON f.id = m.from_location_id JOIN locations o ON o.id = m.to_location_id WHERE m.seed_owned AND NOT (i.seed_owned AND f.seed_owned AND o.seed_owned)`,
		`SELECT count(*) FROM items WHERE asset_tag LIKE 'ET-STW-%'`,
		`SELECT count(*) FROM locations WHERE code = 'HOSP-A'`,
	} {
		if n := queryInt(t, ctx, c, q); n != 0 {
			t.Errorf("%d rows: %s", n, q)
		}
	}
	if n := queryInt(t, ctx, c, brokenChainsSQL); n != 0 {
		t.Errorf("%d broken chains after a run with conflicts", n)
	}
	// Resetting the password of an admin the seeder does not own is refused,
	// and nothing is written.
	out.Reset()
	_, err = Run(ctx, Options{DatabaseURL: u, Steps: []string{StepRoles}, AdminPassword: "a-new-password-1", ResetAdminPassword: true}, &out)
	if !errors.Is(err, ErrConflict) || err.Error() != `setup_default_roles: conflict with rows users added: reset admin password: user "admin" is not the seeder's (a row users added, or deleted); the seeder changes only its own rows` {
		t.Fatalf("reset of a user's admin: %v", err)
	}
	if err := c.QueryRow(ctx, `SELECT password_hash FROM users WHERE username = 'admin'`).Scan(&hash); err != nil || hash != "users-own-hash" {
		t.Fatalf("the user's admin password changed: %q %v", hash, err)
	}
}

// A schema_migrations table another tool made (golang-migrate's shape) is
// named and refused, by the migrator and by the seeder, and nothing is created.
func TestForeignMigrationsTable(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	u := containertest.PG(t).NewDatabase(ctx, t)
	c := connectT(t, ctx, u)
	if _, err := c.Exec(ctx, `CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL);
		INSERT INTO schema_migrations VALUES (1, false)`); err != nil {
		t.Fatal(err)
	}
	const want = "schema_migrations belongs to another migration tool: table public.schema_migrations has columns (version bigint, dirty boolean), equiptrack's has (version integer, name text, applied_at timestamp with time zone); migrate into another database or schema, or rename that table"
	applied, err := schema.ApplyURL(ctx, u)
	if !errors.Is(err, schema.ErrForeignMigrations) || err.Error() != "migrate: "+want || applied != nil {
		t.Fatalf("migrate over a foreign table: %v, applied %v", err, applied)
	}
	if n := queryInt(t, ctx, c, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`); n != 1 {
		t.Fatalf("%d tables after a refused migration, want 1 (the foreign one)", n)
	}
	var out bytes.Buffer
	if _, err := Run(ctx, Options{DatabaseURL: u, AdminPassword: testPassword}, &out); !errors.Is(err, ErrForeignMigrations) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("seed over a foreign table: %v", err)
	}
}

// serverCert returns the certificate the test PostgreSQL presents.
func serverCert(t *testing.T, ctx context.Context, u string) *x509.Certificate {
	t.Helper()
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	var got *x509.Certificate
	cfg.TLSConfig.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
		got, err = x509.ParseCertificate(raw[0])
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if got == nil {
		t.Fatal("no server certificate seen")
	}
	return got
}

// TLS: a URL without sslmode is encrypted (the default is require, not
// prefer); RootCAs verifies the server — against its own certificate with
// verify-ca it seeds, against the RDS bundle it fails in one line, and
// verify-full checks the host name too.
func TestTLSDefaultAndRootCAs(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	pg := containertest.PG(t)
	name := dbName(t, migratedDB(t, ctx))
	withMode := func(mode string) string {
		p, err := url.Parse(pg.URL(name, "disable"))
		if err != nil {
			t.Fatal(err)
		}
		q := p.Query()
		q.Del("sslmode")
		if mode != "" {
			q.Set("sslmode", mode)
		}
		p.RawQuery = q.Encode()
		return p.String()
	}
	// No sslmode: encrypted.
	bare := withMode("")
	if strings.Contains(bare, "sslmode") {
		t.Fatalf("URL %q still names an sslmode", bare)
	}
	rep, _ := seed(t, ctx, Options{DatabaseURL: bare})
	if rep.Fingerprint != ExpectedFingerprint() {
		t.Fatalf("fingerprint %s", rep.Fingerprint)
	}
	cfg, err := dbconfig.ConnConfig(bare, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ssl bool
	if err := conn.QueryRow(ctx, `SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&ssl); err != nil || !ssl {
		t.Fatalf("a URL without sslmode connected unencrypted: %v %v", ssl, err)
	}

	own := x509.NewCertPool()
	own.AddCert(serverCert(t, ctx, withMode("require")))
	if r, out := seed(t, ctx, Options{DatabaseURL: withMode("verify-ca"), RootCAs: own}); r.Fingerprint != ExpectedFingerprint() {
		t.Fatalf("verify-ca against the server's own certificate:\n%s", out)
	}
	rds, err := dbconfig.RDSRootCAs()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	_, err = Run(ctx, Options{DatabaseURL: withMode("verify-ca"), RootCAs: rds}, &out)
	if !errors.Is(err, ErrUnreachable) || !strings.HasSuffix(err.Error(), "x509: certificate signed by unknown authority") ||
		strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), pg.Password) {
		t.Fatalf("verify-ca against the RDS bundle: %v", err)
	}
	// The local stores' certificate names no host (CN only): verify-full
	// fails even with the right CA, which is why it is AWS's setting only.
	_, err = Run(ctx, Options{DatabaseURL: withMode("verify-full"), RootCAs: own}, &out)
	if !errors.Is(err, ErrUnreachable) || !strings.HasSuffix(err.Error(), "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs") ||
		strings.Contains(err.Error(), "\n") {
		t.Fatalf("verify-full against a CN-only certificate: %v", err)
	}
}

package main

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/equiptrack/release-kit/magefiles/containertest"
)

// asUser returns the URL with other credentials.
func asUser(t *testing.T, raw, user, password string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(user, password)
	return u.String()
}

func connectURL(ctx context.Context, t *testing.T, raw string) (*pgx.Conn, error) {
	t.Helper()
	c, err := pgx.Connect(ctx, raw)
	if err == nil {
		t.Cleanup(func() { _ = c.Close(context.Background()) })
	}
	return c, err
}

func sqlState(err error) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code
	}
	return ""
}

// The migration (the only task given the master credentials) creates the application's own user,
// which can read and write rows but change no schema and no role; a second migration with a new
// password (a rotation) moves the user to it.
func TestMigrateCreatesTheApplicationUser(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL (testcontainers); skipped under -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := containertest.PG(t).NewDatabase(ctx, t)
	// Roles are cluster-wide and the server is shared between tests: a name of this test's own.
	const user = "appuser_migrate_test"
	master, err := connectURL(ctx, t, admin)
	if err != nil {
		t.Fatalf("connect as master: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP OWNED BY "+user)
		_, _ = c.Exec(context.Background(), "DROP ROLE IF EXISTS "+user)
	})

	migrate := func(password string) string {
		t.Helper()
		var out bytes.Buffer
		code := run(ctx, []string{"migrate"}, envOf(map[string]string{
			"DATABASE_URL": admin, "APP_DB_USER": user, "APP_DB_PASSWORD": password,
		}), &out)
		if code != 0 {
			t.Fatalf("migrate exit %d:\n%s", code, out.String())
		}
		if strings.Contains(out.String(), password) {
			t.Errorf("the migration logs the application password:\n%s", out.String())
		}
		return out.String()
	}

	// A quote and a backslash: the literal must survive both.
	const first = `Fir5t-pa'ss\word`
	out := migrate(first)
	if !strings.Contains(out, `"app_user":"appuser_migrate_test"`) {
		t.Errorf("the migration does not name the user it created:\n%s", out)
	}

	var super, createRole, createDB bool
	if err := master.QueryRow(ctx, "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1", user).Scan(&super, &createRole, &createDB); err != nil {
		t.Fatalf("the role does not exist: %v", err)
	}
	if super || createRole || createDB {
		t.Errorf("role attributes super=%v createrole=%v createdb=%v, want all false", super, createRole, createDB)
	}

	app, err := connectURL(ctx, t, asUser(t, admin, user, first))
	if err != nil {
		t.Fatalf("connect as the application user: %v", err)
	}
	// Rows: read, write, delete.
	if _, err := app.Exec(ctx, "INSERT INTO permissions (name) VALUES ('appuser-test')"); err != nil {
		t.Errorf("insert as the application user: %v", err)
	}
	if _, err := app.Exec(ctx, "UPDATE permissions SET description = 'x' WHERE name = 'appuser-test'"); err != nil {
		t.Errorf("update as the application user: %v", err)
	}
	if _, err := app.Exec(ctx, "DELETE FROM permissions WHERE name = 'appuser-test'"); err != nil {
		t.Errorf("delete as the application user: %v", err)
	}
	var n int
	if err := app.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
		t.Errorf("select as the application user: %v", err)
	}
	var missing []string
	rows, err := master.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
		WHERE s.nspname = 'public' AND c.relkind = 'r'
		AND NOT (has_table_privilege($1, c.oid, 'SELECT') AND has_table_privilege($1, c.oid, 'INSERT')
		     AND has_table_privilege($1, c.oid, 'UPDATE') AND has_table_privilege($1, c.oid, 'DELETE'))`, user)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		missing = append(missing, name)
	}
	rows.Close()
	if len(missing) > 0 {
		t.Errorf("the application user lacks row privileges on %v", missing)
	}
	// No DDL, no roles.
	if _, err := app.Exec(ctx, "CREATE TABLE appuser_probe (i int)"); sqlState(err) != "42501" {
		t.Errorf("CREATE TABLE as the application user: %v, want permission denied (42501)", err)
	}
	if _, err := app.Exec(ctx, "DROP TABLE users"); sqlState(err) != "42501" {
		t.Errorf("DROP TABLE as the application user: %v, want permission denied (42501)", err)
	}
	if _, err := app.Exec(ctx, "TRUNCATE permissions CASCADE"); sqlState(err) != "42501" {
		t.Errorf("TRUNCATE as the application user: %v, want permission denied (42501)", err)
	}
	if _, err := app.Exec(ctx, "CREATE ROLE appuser_probe_role"); sqlState(err) != "42501" {
		t.Errorf("CREATE ROLE as the application user: %v, want permission denied (42501)", err)
	}

	// Again, with a new password: the user stays, the password moves.
	const second = "Sec0nd-password-after-rotation"
	migrate(second)
	if _, err := connectURL(ctx, t, asUser(t, admin, user, second)); err != nil {
		t.Errorf("connect with the new password: %v", err)
	}
	if _, err := connectURL(ctx, t, asUser(t, admin, user, first)); err == nil {
		t.Errorf("the old password still works after the second migration")
	}
}

// Bad APP_DB_* settings stop the migration before it connects (the URL points nowhere: a
// connection attempt would fail with another message).
func TestMigrateRejectsBadApplicationUser(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"password without user", map[string]string{"APP_DB_PASSWORD": "x"}, "APP_DB_PASSWORD is set but APP_DB_USER is not"},
		{"user without password", map[string]string{"APP_DB_USER": "equiptrack_app"}, "APP_DB_USER=equiptrack_app is set but APP_DB_PASSWORD is empty"},
		{"quoted name", map[string]string{"APP_DB_USER": `app"; DROP ROLE postgres; --`, "APP_DB_PASSWORD": "x"}, "want a lowercase identifier"},
		{"master name", map[string]string{"APP_DB_USER": "postgres", "APP_DB_PASSWORD": "x"}, "other than postgres and rdsadmin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"DATABASE_URL": "postgres://u:p@127.0.0.1:1/d"}
			for k, v := range c.env {
				env[k] = v
			}
			var out bytes.Buffer
			if code := run(context.Background(), []string{"migrate"}, envOf(env), &out); code != 1 {
				t.Errorf("exit %d, want 1: %s", code, out.String())
			}
			if !strings.Contains(out.String(), c.want) || !strings.Contains(out.String(), "configuration: ") {
				t.Errorf("output lacks %q:\n%s", c.want, out.String())
			}
			if n := len(logLines(t, out.String())); n != 1 {
				t.Errorf("%d log lines, want 1", n)
			}
		})
	}
}

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/equiptrack/release-kit/seeddata"
)

// TestMain lets a test run this binary as the seed command itself (to see
// what a real process prints on its stderr, library log lines included).
func TestMain(m *testing.M) {
	if os.Getenv("SEED_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseArgsFromEnvironment(t *testing.T) {
	o, err := parseArgs(nil, env(map[string]string{
		"DATABASE_URL": "postgres://db/x", "REDIS_URL": "redis://r:6379/0", "SEED_ADMIN_PASSWORD": "pw",
	}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.DatabaseURL != "postgres://db/x" || o.RedisURL != "redis://r:6379/0" || o.AdminPassword != "pw" ||
		!slices.Equal(o.Steps, seeddata.AllSteps) || o.Verify || o.Reseed {
		t.Fatalf("options = %+v", o)
	}
}

func TestParseArgsFlags(t *testing.T) {
	o, err := parseArgs([]string{"-steps", "roles,inventory",
		"-reseed", "-confirm", "y", "-lock-timeout", "5s", "-allow-drift"}, env(map[string]string{"DATABASE_URL": "postgres://env/y"}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.DatabaseURL != "postgres://env/y" || !o.Reseed || o.Confirm != "y" || o.LockTimeout.Seconds() != 5 || !o.AllowDrift ||
		!slices.Equal(o.Steps, []string{seeddata.StepRoles, seeddata.StepInventory}) {
		t.Fatalf("options = %+v", o)
	}
}

func TestBadUsageIsOneLineAndExit2(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"unknown flag": {[]string{"-bogus"}, map[string]string{"DATABASE_URL": "postgres://x/y"}, "seed: flag provided but not defined: -bogus (see -h)\n"},
		"no database":  {nil, nil, "seed: DATABASE_URL is not set (nor DB_HOST)\n"},
		"url flag": {[]string{"-database-url=postgres://u:hunter2@h/d"}, nil,
			"seed: -database-url is not a flag any more: a URL holding a password on a command line is readable by every local user; set DATABASE_URL in the environment\n"},
		"redis flag": {[]string{"--redis-url", "redis://:hunter2@h:6379/0"}, map[string]string{"DATABASE_URL": "postgres://x/y"},
			"seed: -redis-url is not a flag any more: a URL holding a password on a command line is readable by every local user; set REDIS_URL in the environment\n"},
		"bad redis url": {nil, map[string]string{"DATABASE_URL": "postgres://x/y", "REDIS_URL": "redis://:hunter2@h:notaport/0"},
			"seed: bad seeder options: REDIS_URL is not a valid redis:// or rediss:// URL\n"},
		"short password": {nil, map[string]string{"DATABASE_URL": "postgres://x/y", "SEED_ADMIN_PASSWORD": "hunter2hunt"},
			"seed: bad seeder options: SEED_ADMIN_PASSWORD is shorter than 12 characters\n"},
		"bad root cert": {nil, map[string]string{"DATABASE_URL": "postgres://x/y", "DB_SSLROOTCERT": "/ca.pem"}, `DB_SSLROOTCERT="/ca.pem": only "rds"`},
		"rds needs verify": {nil, map[string]string{"DATABASE_URL": "postgres://u:hunter2@x/y?sslmode=require", "DB_SSLROOTCERT": "rds"},
			"seed: bad seeder options: DB_SSLROOTCERT needs sslmode=verify-full (or verify-ca): with any other sslmode the server's certificate is not verified\n"},
		"verify allow drift": {[]string{"-verify", "-allow-drift"}, map[string]string{"DATABASE_URL": "postgres://x/y"}, "-allow-drift is for seed runs"},
		"bad step":           {[]string{"-steps", "roles,nope"}, map[string]string{"DATABASE_URL": "postgres://x/y"}, `unknown step "nope"`},
		"bad expect":         {[]string{"-verify", "-expect", "abc"}, map[string]string{"DATABASE_URL": "postgres://x/y"}, "-expect must be 64 hex digits"},
		"positional":         {[]string{"extra"}, map[string]string{"DATABASE_URL": "postgres://x/y"}, `unexpected argument "extra"`},
		"confirm alone":      {[]string{"-confirm", "y"}, map[string]string{"DATABASE_URL": "postgres://x/y"}, "-confirm is only meaningful with -reseed"},
		"reseed no conf":     {[]string{"-reseed"}, map[string]string{"DATABASE_URL": "postgres://x/y"}, "confirm with -confirm=<database name>"},
		"bad url":            {nil, map[string]string{"DATABASE_URL": "::not a url"}, "DATABASE_URL is not a valid PostgreSQL URL"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), tc.args, env(tc.env), &out, &errb)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2 (stderr %q)", name, code, errb.String())
		}
		if strings.Count(errb.String(), "\n") != 1 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%s: stderr %q, want one line containing %q", name, errb.String(), tc.want)
		}
		if out.Len() != 0 {
			t.Errorf("%s: stdout %q, want nothing", name, out.String())
		}
		if strings.Contains(errb.String(), "hunter2") {
			t.Errorf("%s: stderr %q repeats a password", name, errb.String())
		}
	}
}

func TestHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, env(nil), &out, &errb); code != 0 {
		t.Fatalf("-h exit %d", code)
	}
	for _, s := range []string{"DATABASE_URL", "REDIS_URL", "SEED_ADMIN_PASSWORD", "-reseed", "-verify", "equiptrack:cache:*"} {
		if !strings.Contains(errb.String(), s) {
			t.Errorf("help lacks %q", s)
		}
	}
	if _, err := parseArgs([]string{"-help"}, env(nil), &bytes.Buffer{}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-help error = %v", err)
	}
}

func TestUnreachableDatabaseExit1(t *testing.T) {
	var out, errb bytes.Buffer
	// Port 1 on loopback: nothing listens, the connection is refused at once.
	code := run(context.Background(), nil, env(map[string]string{"DATABASE_URL": "postgres://u:secret@127.0.0.1:1/x?sslmode=disable"}), &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	want := "seed: database unreachable: cannot connect to 127.0.0.1:1: dial: connect: connection refused\n"
	if errb.String() != want {
		t.Fatalf("stderr %q, want %q", errb.String(), want)
	}
}

// An unreachable Redis is one line on stderr — the seeder's, not go-redis's
// pool log lines — and fails the run before the database is touched (here
// the database is unreachable too: reaching it would be a second error).
func TestUnreachableRedisOneLine(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), "SEED_TEST_RUN_MAIN=1",
		"DATABASE_URL=postgres://u:secret@127.0.0.1:1/x?sslmode=disable", "REDIS_URL=redis://:secret@127.0.0.1:1/0")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1 (stderr %q)", err, errb.String())
	}
	want := "seed: cache unreachable: redis 127.0.0.1:1: dial tcp 127.0.0.1:1: connect: connection refused; nothing written\n"
	if errb.String() != want || out.Len() != 0 {
		t.Fatalf("stderr %q stdout %q, want stderr %q only", errb.String(), out.String(), want)
	}
}

// On ECS the seeder task gets the same DB_* / REDIS_* variables as the
// services, with the credentials injected from Secrets Manager.
func TestParseArgsFromECSVariables(t *testing.T) {
	o, err := parseArgs(nil, env(map[string]string{
		"DB_HOST": "db.internal", "DB_PORT": "5432", "DB_NAME": "equiptrack", "DB_SSLMODE": "require",
		"DB_USER": "app", "DB_PASSWORD": "s3cret/?", "REDIS_HOST": "cache.internal", "REDIS_PORT": "6380",
	}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "postgres://app:s3cret%2F%3F@db.internal:5432/equiptrack?sslmode=require"; o.DatabaseURL != want {
		t.Errorf("DatabaseURL = %q, want %q", o.DatabaseURL, want)
	}
	if want := "redis://cache.internal:6380/0"; o.RedisURL != want {
		t.Errorf("RedisURL = %q, want %q", o.RedisURL, want)
	}
	_, err = parseArgs(nil, env(map[string]string{"DB_HOST": "db.internal"}), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "DB_USER") || !strings.Contains(err.Error(), "DB_NAME") {
		t.Errorf("DB_HOST alone: err = %v, want one naming DB_USER and DB_NAME", err)
	}
}

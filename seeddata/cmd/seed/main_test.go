package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"slices"
	"strings"
	"testing"

	"github.com/equiptrack/release-kit/seeddata"
)

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
	o, err := parseArgs([]string{"-database-url", "postgres://flag/y", "-steps", "roles,inventory",
		"-reseed", "-confirm", "y", "-lock-timeout", "5s"}, env(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.DatabaseURL != "postgres://flag/y" || !o.Reseed || o.Confirm != "y" || o.LockTimeout.Seconds() != 5 ||
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
		"unknown flag":   {[]string{"-bogus"}, map[string]string{"DATABASE_URL": "postgres://x/y"}, "seed: flag provided but not defined: -bogus (see -h)\n"},
		"no database":    {nil, nil, "seed: DATABASE_URL is not set (nor DB_HOST; or pass -database-url)\n"},
		"bad step":       {[]string{"-steps", "roles,nope"}, map[string]string{"DATABASE_URL": "postgres://x/y"}, `unknown step "nope"`},
		"bad expect":     {[]string{"-verify", "-expect", "abc"}, map[string]string{"DATABASE_URL": "postgres://x/y"}, "-expect must be 64 hex digits"},
		"positional":     {[]string{"extra"}, map[string]string{"DATABASE_URL": "postgres://x/y"}, `unexpected argument "extra"`},
		"confirm alone":  {[]string{"-confirm", "y"}, map[string]string{"DATABASE_URL": "postgres://x/y"}, "-confirm is only meaningful with -reseed"},
		"reseed no conf": {[]string{"-reseed"}, map[string]string{"DATABASE_URL": "postgres://x/y"}, "confirm with -confirm=<database name>"},
		"bad url":        {nil, map[string]string{"DATABASE_URL": "::not a url"}, "DATABASE_URL is not a valid PostgreSQL URL"},
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

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/equiptrack/release-kit/magefiles/containertest"
	"github.com/equiptrack/release-kit/magefiles/internal/exampleapp/config"
	"github.com/equiptrack/release-kit/magefiles/internal/release/manifest"
)

// Integration tests here need PostgreSQL and Redis (and Docker for the image
// test); under -short they skip, without -short no Docker is a failure.
// The binaries built for the run (binary_test.go) go with it.
func TestMain(m *testing.M) {
	code := containertest.Run(m, containertest.NeedBoth)
	if builds.dir != "" {
		if err := os.RemoveAll(builds.dir); err != nil {
			fmt.Fprintln(os.Stderr, "removing the built binaries:", err)
		}
	}
	os.Exit(code)
}

func envOf(kv map[string]string) config.Getenv { return func(k string) string { return kv[k] } }

// logLines parses the JSON log lines run wrote.
func logLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		lines = append(lines, m)
	}
	return lines
}

func withBreakMode(t *testing.T, mode string) {
	old := breakMode
	breakMode = mode
	t.Cleanup(func() { breakMode = old })
}

func TestCommandLine(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		env      map[string]string
		mode     string
		wantCode int
		wantOut  []string // substrings of the output
		noLeak   string
	}{
		{"no command", nil, nil, "", 2, []string{`"level":"ERROR"`, "usage: equiptrack serve|migrate"}, ""},
		{"unknown command", []string{"deploy"}, nil, "", 2, []string{`unknown command \"deploy\"`}, ""},
		{"version", []string{"version"}, map[string]string{"APP_VERSION": "v1.2.3"}, "", 0,
			[]string{`equiptrack (EXAMPLE build) version=v1.2.3 break_mode=""`}, ""},
		{"version of a broken build", []string{"version"}, nil, "readyz", 0, []string{`version=unknown break_mode="readyz"`}, ""},
		{"unknown break mode", []string{"serve"}, nil, "sometimes", 1, []string{`unknown break mode \"sometimes\"`}, ""},
		{"serve without configuration", []string{"serve"}, nil, "", 1,
			[]string{`"msg":"serve failed"`, "SERVICE is not set", "set DATABASE_URL", "set REDIS_URL"}, ""},
		{"serve with a bad URL keeps the password", []string{"serve"}, map[string]string{
			"SERVICE": "ui", "DATABASE_URL": "postgresql://u:hunter2@", "REDIS_URL": "redis://r:1/0"}, "", 1,
			[]string{"DATABASE_URL is not a postgres://"}, "hunter2"},
		{"migrate built to fail", []string{"migrate"}, map[string]string{"DATABASE_URL": "postgres://u:p@127.0.0.1:1/d"}, "migrate", 1,
			[]string{`"msg":"migrate failed"`, "built to fail its migration (breakMode=migrate): exiting 1 without touching the database"}, ""},
		{"migrate without database", []string{"migrate"}, nil, "", 1, []string{"set DATABASE_URL, or DB_HOST"}, ""},
		{"probe path", []string{"probe", "readyz"}, nil, "", 1, []string{`probe path \"readyz\" must start with /`}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			withBreakMode(t, c.mode)
			var out bytes.Buffer
			code := run(context.Background(), c.args, envOf(c.env), &out)
			if code != c.wantCode {
				t.Errorf("exit %d, want %d; output %s", code, c.wantCode, out.String())
			}
			for _, w := range c.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			if c.noLeak != "" && strings.Contains(out.String(), c.noLeak) {
				t.Errorf("output leaks %q", c.noLeak)
			}
			if c.wantCode != 0 && c.args != nil && c.args[0] != "version" {
				// A failure is one line.
				if n := len(logLines(t, out.String())); n != 1 {
					t.Errorf("%d log lines on failure, want 1:\n%s", n, out.String())
				}
			}
		})
	}
}

// The manifest, the Dockerfile and the binary agree: six services in the
// binary's role order, each image carrying its role, the migration running
// the binary where the Dockerfile puts it, the prebuild writing what the
// Dockerfile copies.
func TestManifestMatchesBinaryAndDockerfile(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(dir, envOf(map[string]string{"EXAMPLE_BREAK": ""}))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range m.Services {
		names = append(names, s.Name)
		if s.BuildArgs["SERVICE"] != s.Name || s.Port != 8080 || s.HealthPath != "/readyz" || s.Dockerfile != "Dockerfile" {
			t.Errorf("service %+v", s)
		}
	}
	if !slices.Equal(names, config.Services) {
		t.Errorf("manifest services %v, binary roles %v", names, config.Services)
	}
	if !slices.Equal(m.Migrate.Command, []string{"migrate"}) {
		t.Errorf("migrate command %v", m.Migrate.Command)
	}
	df, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FROM scratch", "COPY bin/equiptrack /equiptrack", "ARG SERVICE", "ENV SERVICE=$SERVICE",
		`ENTRYPOINT ["/equiptrack"]`, `CMD ["serve"]`, "USER 65532:65532", "EXPOSE 8080",
		// Each check is an exec through the engine: at 3 s, a dozen local
		// replicas kept half a core busy.
		"HEALTHCHECK --interval=30s "} {
		if !strings.Contains(string(df), want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// The role (the only line that differs between the six images) comes
	// last, so that the builder reuses every step before it.
	lines := strings.Split(strings.TrimSpace(string(df)), "\n")
	if tail := strings.Join(lines[len(lines)-2:], "\n"); tail != "ARG SERVICE\nENV SERVICE=$SERVICE PORT=8080" {
		t.Errorf("Dockerfile ends %q, want the role's ARG and ENV last", tail)
	}
	if len(m.Prebuild) != 1 || !slices.Contains(m.Prebuild[0].Command, "bin/equiptrack") ||
		!slices.Contains(m.Prebuild[0].Command, "-s -w -X main.breakMode=") || m.Prebuild[0].Env["CGO_ENABLED"] != "0" {
		t.Errorf("prebuild %+v", m.Prebuild)
	}
}

// probe is the image's HEALTHCHECK: exit 0 only on a 200 from the path.
func TestProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"reason":"redis down"}`))
			return
		}
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"probe", "/healthz"}, 0, ""},
		{[]string{"probe"}, 1, `probe /readyz: HTTP 503: {\"reason\":\"redis down\"}`},
		{[]string{"probe", "/nope"}, 1, "HTTP 404"},
	} {
		var out bytes.Buffer
		if code := run(context.Background(), c.args, envOf(map[string]string{"PORT": port}), &out); code != c.code || !strings.Contains(out.String(), c.want) {
			t.Errorf("%v: exit %d %s; want %d %q", c.args, code, out.String(), c.code, c.want)
		}
	}
}

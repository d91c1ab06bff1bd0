package localenv

import (
	"strings"
	"testing"
)

func TestJoinArgsQuotes(t *testing.T) {
	if got, want := joinArgs([]string{"go", "build", "-ldflags", "-s -w", ""}), `go build -ldflags "-s -w" ""`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestNewValidates(t *testing.T) {
	t.Setenv("EQUIPTRACK_KIT_CACHE", t.TempDir())
	cases := map[string]struct {
		o    Options
		want string
	}{
		"name":     {Options{Name: "Bad_Name"}, `local environment name "Bad_Name": want lowercase letters, digits and dashes`},
		"manifest": {Options{Name: "ok-name"}, "local environment: no manifest"},
	}
	for name, c := range cases {
		if _, err := New(c.o); err == nil || err.Error() != c.want {
			t.Errorf("%s: got %v, want %q", name, err, c.want)
		}
	}
	t.Setenv(ReplicasEnv, "0")
	if _, err := ReplicasFromEnv(); err == nil || !strings.HasPrefix(err.Error(), ReplicasEnv+`="0": want`) {
		t.Errorf("replicas 0: %v", err)
	}
	t.Setenv(RegistryPortEnv, "70000")
	if _, _, err := Ports(); err == nil || err.Error() != RegistryPortEnv+`="70000" is not a port number (1-65535)` {
		t.Errorf("port: %v", err)
	}
}

func TestChildEnvKeepsCallerSettings(t *testing.T) {
	t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "false")
	env := strings.Join(childEnv(map[string]string{"B": "2", "A": "1"}), "\n")
	if strings.Contains(env, "TESTCONTAINERS_RYUK_DISABLED=true") {
		t.Error("overrode the caller's TESTCONTAINERS_RYUK_DISABLED")
	}
	if !strings.Contains(env, "TESTCONTAINERS_HOST_OVERRIDE=") || !strings.HasSuffix(env, "A=1\nB=2") {
		t.Errorf("env: %s", env[max(0, len(env)-200):])
	}
}

func TestShortRevision(t *testing.T) {
	for id, want := range map[string]string{
		"127.0.0.1:55000/equiptrack/ui@sha256:80044b1a6f1102dd208f5f47937ad75297af1baebb3439d35b057783681086e7": "80044b1a6f11",
		"no-digest": "rev",
	} {
		if got := shortRevision(id); got != want {
			t.Errorf("%s: got %q, want %q", id, got, want)
		}
	}
}

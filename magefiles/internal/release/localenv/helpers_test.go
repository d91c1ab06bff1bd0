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
}

func TestChildEnvKeepsCallerSettings(t *testing.T) {
	t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "false")
	t.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "")
	// Added to the inherited environment: the caller's RYUK setting stays
	// (nothing added for it), the unset host override gets its default.
	env := strings.Join(childEnv(map[string]string{"B": "2", "A": "1"}), " ")
	if env != "TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 A=1 B=2" {
		t.Errorf("childEnv = %q", env)
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

package localenv

import (
	"reflect"
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

// docker ps's lines (psFormat) become the containers list returns, sorted
// by name, the state read as docker prints it.
func TestParsePS(t *testing.T) {
	out := "ek-gateway-2-abc\texited\tequiptrack.env=ek,equiptrack.replica=2,org.note=a,b\n" +
		"ek-gateway-1-abc\trunning\tequiptrack.env=ek,equiptrack.revision=127.0.0.1:5000/equiptrack/gateway@sha256:ab,equiptrack.replica=1\n"
	cs, err := parsePS(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []ctr{
		{Name: "ek-gateway-1-abc", Running: true, Status: "running", Labels: map[string]string{
			"equiptrack.env": "ek", "equiptrack.revision": "127.0.0.1:5000/equiptrack/gateway@sha256:ab", "equiptrack.replica": "1"}},
		{Name: "ek-gateway-2-abc", Running: false, Status: "exited", Labels: map[string]string{"equiptrack.env": "ek", "equiptrack.replica": "2", "org.note": "a,b"}},
	}
	if !reflect.DeepEqual(cs, want) {
		t.Errorf("got  %+v\nwant %+v", cs, want)
	}
	if cs, err := parsePS(""); err != nil || len(cs) != 0 {
		t.Errorf("no containers: %v, %v", cs, err)
	}
	if _, err := parsePS("just-a-name\n"); err == nil || err.Error() != `docker ps: unexpected line "just-a-name"` {
		t.Errorf("a line without tabs: %v", err)
	}
}

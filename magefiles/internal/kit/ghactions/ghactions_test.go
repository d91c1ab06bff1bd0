package ghactions

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The release workflows read `url` from the step's outputs: the file must hold
// exactly the line GitHub parses, after whatever an earlier step wrote.
func TestSetURLAppendsOneOutputLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "github_output")
	if err := os.WriteFile(path, []byte("earlier=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := SetURL(path, "https://d111111abcdef8.cloudfront.net"); err != nil {
		t.Fatal(err)
	}
	if got, want := read(t, path), "earlier=1\nurl=https://d111111abcdef8.cloudfront.net\n"; got != want {
		t.Fatalf("GITHUB_OUTPUT = %q, want %q", got, want)
	}
}

func TestSetURLRefusesWhatIsNotAnAbsoluteHTTPURL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "github_output")
	for _, bad := range []string{"", "d111111abcdef8.cloudfront.net", "ftp://example.com", "https://", "https://example.com\nevil=1", "http://exa mple.com"} {
		err := SetURL(path, bad)
		if err == nil || !strings.Contains(err.Error(), "not an absolute http(s) URL") {
			t.Errorf("SetURL(%q): err = %v, want a refusal", bad, err)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a refused URL wrote the file (stat err = %v)", err)
	}
}

// On a laptop GITHUB_OUTPUT is unset: nothing is written, nothing fails.
func TestEmptyPathWritesNothing(t *testing.T) {
	if err := SetURL("", "not a url"); err != nil {
		t.Fatal(err)
	}
	if err := SetOutput("", "bad name!", "x"); err != nil {
		t.Fatal(err)
	}
	if err := AppendSummary("", "# x"); err != nil {
		t.Fatal(err)
	}
}

// A value with a newline cannot inject a second output: it is written in the
// delimiter form, and the delimiter appears nowhere in the value.
func TestMultilineValueUsesADelimiter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "github_output")
	value := "line one\nurl=https://attacker.example"
	if err := SetOutput(path, "notes", value); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^notes<<(ghadelimiter_[0-9a-f]{32})\nline one\nurl=https://attacker.example\n(ghadelimiter_[0-9a-f]{32})\n$`).FindStringSubmatch(read(t, path))
	if m == nil || m[1] != m[2] {
		t.Fatalf("GITHUB_OUTPUT = %q, want the heredoc form with one random delimiter", read(t, path))
	}
}

func TestSetOutputRefusesABadName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "github_output")
	for _, bad := range []string{"", "1url", "-url", "url=x", "u rl"} {
		if err := SetOutput(path, bad, "v"); err == nil {
			t.Errorf("SetOutput(name %q) accepted", bad)
		}
	}
}

func TestAppendSummaryEndsWithANewline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.md")
	if err := AppendSummary(path, "## staging v1.2.3"); err != nil {
		t.Fatal(err)
	}
	if err := AppendSummary(path, "| service | digest |\n"); err != nil {
		t.Fatal(err)
	}
	if got, want := read(t, path), "## staging v1.2.3\n| service | digest |\n"; got != want {
		t.Fatalf("summary = %q, want %q", got, want)
	}
}

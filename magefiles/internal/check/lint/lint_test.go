package lint

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The gofmt check must catch a badly formatted file; a check that never fails
// would keep CI green for the wrong reason.
func TestGofmtCatchesUnformattedCode(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.go"), []byte("package x\nfunc  f( ) {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := gofmt(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), "bad.go") {
		t.Fatalf("gofmt on an unformatted file: err = %v, want one naming bad.go", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.go"), []byte("package x\n\nfunc f() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := gofmt(context.Background(), dir); err != nil {
		t.Fatalf("gofmt on a formatted file: %v", err)
	}
}

// actionlint must run shellcheck on run: scripts: without it an unquoted
// expansion (SC2086) in a release step would pass. The same workflow with the
// expansion quoted passes, so the check fails for this reason alone.
func TestActionlintRunsShellcheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds actionlint and may install shellcheck; skipped under -short")
	}
	dir := t.TempDir()
	wf := filepath.Join(dir, ".github", "workflows")
	if err := os.MkdirAll(wf, 0o755); err != nil {
		t.Fatal(err)
	}
	workflow := func(script string) string {
		return "name: x\non: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    timeout-minutes: 5\n" +
			"    steps:\n      - env:\n          VERSION: v1.2.3\n        run: " + script + "\n"
	}
	write := func(script string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(wf, "x.yml"), []byte(workflow(script)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	logf := func(format string, args ...any) { t.Logf(format, args...) }
	write(`go run magefile.go staging:release $VERSION`)
	err := actionlint(context.Background(), dir, logf)
	if err == nil || !strings.Contains(err.Error(), "SC2086") {
		t.Fatalf("actionlint on an unquoted expansion: err = %v, want a shellcheck SC2086 finding", err)
	}
	write(`go run magefile.go staging:release "$VERSION"`)
	if err := actionlint(context.Background(), dir, logf); err != nil {
		t.Fatalf("actionlint on a clean workflow: %v", err)
	}
}

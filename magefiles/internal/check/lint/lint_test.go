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

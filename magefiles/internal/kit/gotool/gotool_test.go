package gotool

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNameAndPath(t *testing.T) {
	t.Setenv("EQUIPTRACK_KIT_CACHE", t.TempDir())
	tool := Tool{Package: "github.com/terraform-linters/tflint", Version: "v0.64.0"}
	if got := tool.Name(); got != "tflint" {
		t.Errorf("Name = %q, want tflint", got)
	}
	p, err := tool.Path()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(os.Getenv("EQUIPTRACK_KIT_CACHE"), "tflint", "v0.64.0", "tflint"); p != want {
		t.Errorf("Path = %q, want %q", p, want)
	}
}

// A cached binary is used as is; nothing is built (the Go toolchain is not
// even consulted: the package below does not exist).
func TestEnsureUsesTheCache(t *testing.T) {
	t.Setenv("EQUIPTRACK_KIT_CACHE", t.TempDir())
	tool := Tool{Package: "example.invalid/nothing/cmd/fake", Version: "v1.0.0"}
	p, _ := tool.Path()
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := Ensure(context.Background(), tool, nil)
	if err != nil || got != p {
		t.Fatalf("Ensure = %q, %v; want %q", got, err, p)
	}
}

// A build that cannot succeed fails with the go command's own reason and
// leaves no binary behind.
func TestEnsureReportsAFailedBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	t.Setenv("EQUIPTRACK_KIT_CACHE", t.TempDir())
	t.Setenv("GOFLAGS", "")
	tool := Tool{Package: "example.invalid/nothing/cmd/fake", Version: "v1.0.0"}
	_, err := Ensure(context.Background(), tool, nil)
	if err == nil || !strings.Contains(err.Error(), "go install example.invalid/nothing/cmd/fake@v1.0.0") {
		t.Fatalf("err = %v, want a go install failure naming the package", err)
	}
	p, _ := tool.Path()
	if _, statErr := os.Stat(p); !os.IsNotExist(statErr) {
		t.Errorf("a failed build left %s behind (stat: %v)", p, statErr)
	}
}

func TestWrapperGoMod(t *testing.T) {
	got := wrapperGoMod("equiptrack.local/trivy-iac", "go1.26.8", []string{"github.com/aquasecurity/trivy v0.74.0"})
	want := "module equiptrack.local/trivy-iac\n\ngo 1.26.8\n\nrequire github.com/aquasecurity/trivy v0.74.0\n"
	if got != want {
		t.Fatalf("wrapperGoMod:\n%s\nwant:\n%s", got, want)
	}
	// A development toolchain string must not produce an invalid go line.
	if got := wrapperGoMod("equiptrack.local/trivy-iac", "devel go1.27-abc", []string{"github.com/aquasecurity/trivy v0.74.0"}); got != "module equiptrack.local/trivy-iac\n\nrequire github.com/aquasecurity/trivy v0.74.0\n" {
		t.Fatalf("wrapperGoMod with devel toolchain: %q", got)
	}
}

// A tool built from the kit's own source is cached under its module
// version and the hash of that source: an edit is a new cache entry.
func TestMainToolPathHasTheSourceHash(t *testing.T) {
	root := t.TempDir()
	t.Setenv("EQUIPTRACK_KIT_CACHE", root)
	tool := Tool{Package: "github.com/aquasecurity/trivy", Version: "v0.74.0", Binary: "trivy-iac", Main: []byte("package main\n")}
	// sha256("package main\n") = df1d036cbbf3df46…; the key keeps six bytes.
	p, err := tool.Path()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "trivy-iac", "v0.74.0-df1d036cbbf3", "trivy-iac"); p != want {
		t.Errorf("Path = %q, want %q", p, want)
	}
	tool.Main = []byte("package main // edited\n")
	q, _ := tool.Path()
	if q == p {
		t.Errorf("an edited source kept the path %q", q)
	}
	tool.Cuts = GoGetterCloudGetters[:1]
	r, _ := tool.Path()
	if r == q {
		t.Errorf("a cut kept the path %q", r)
	}
	// A build environment of its own (GOEXPERIMENT) is another binary.
	tool.Env = []string{"GOEXPERIMENT=jsonv2"}
	if e, _ := tool.Path(); e == r {
		t.Errorf("an Env kept the path %q", e)
	}
	plain := Tool{Package: "github.com/terraform-linters/tflint", Version: "v0.64.0"}
	a, _ := plain.Path()
	plain.Cuts = GoGetterCloudGetters
	if b, _ := plain.Path(); !strings.HasPrefix(filepath.Base(filepath.Dir(b)), "v0.64.0-") || a == b {
		t.Errorf("with cuts the path is %q (without: %q), want the version followed by a hash", b, a)
	}
}

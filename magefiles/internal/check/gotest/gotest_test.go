package gotest

import (
	"slices"
	"testing"
)

func TestArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want []string
	}{
		{"all", Options{}, []string{"test", "-count=1", "-timeout", "45m", "-race", "./..."}},
		{"short", Options{Short: true}, []string{"test", "-count=1", "-timeout", "45m", "-short", "./..."}},
		{"extra and packages", Options{Extra: "-run Seed -v", Pkgs: []string{"./seeddata/..."}},
			[]string{"test", "-count=1", "-timeout", "45m", "-race", "-run", "Seed", "-v", "./seeddata/..."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Args(tc.opts); !slices.Equal(got, tc.want) {
				t.Errorf("Args(%+v) = %q, want %q", tc.opts, got, tc.want)
			}
		})
	}
}

// The compile step's build flags are the run's, so the run reuses its
// packages; only -exec is added.
func TestCompileArgs(t *testing.T) {
	got := CompileArgs(Options{Extra: "-v -tags integration"}, "/usr/bin/true")
	want := []string{"test", "-exec", "/usr/bin/true", "-count=1", "-timeout", "45m", "-race", "-v", "-tags", "integration", "./..."}
	if !slices.Equal(got, want) {
		t.Errorf("CompileArgs = %q, want %q", got, want)
	}
}

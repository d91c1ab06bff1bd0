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
		{"all", Options{}, []string{"test", "-count=1", "-timeout", "45m", "-p", "3", "-race", "-vet=off", "./..."}},
		{"short", Options{Short: true, First: []string{"./slow"}}, []string{"test", "-count=1", "-timeout", "45m", "-short", "./..."}},
		{"longest first", Options{First: []string{"./slow", "./slower"}},
			[]string{"test", "-count=1", "-timeout", "45m", "-p", "3", "-race", "-vet=off", "./slow", "./slower", "./..."}},
		{"extra and packages", Options{Extra: "-run Seed -v", Pkgs: []string{"./seeddata/..."}, First: []string{"./slow"}},
			[]string{"test", "-count=1", "-timeout", "45m", "-p", "3", "-race", "-vet=off", "-run", "Seed", "-v", "./seeddata/..."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Args(tc.opts); !slices.Equal(got, tc.want) {
				t.Errorf("Args(%+v) = %q, want %q", tc.opts, got, tc.want)
			}
		})
	}
}

// The compile step vets with the run's build flag, so the packages it
// compiles are the ones the run (and lint's vet) finds in the cache.
func TestCompileArgs(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want []string
	}{
		{Options{Extra: "-v -run Seed"}, []string{"vet", "-race", "./..."}},
		{Options{Short: true}, []string{"vet", "./..."}},
		{Options{Pkgs: []string{"./seeddata/..."}}, []string{"vet", "-race", "./seeddata/..."}},
	} {
		if got := CompileArgs(tc.opts); !slices.Equal(got, tc.want) {
			t.Errorf("CompileArgs(%+v) = %q, want %q", tc.opts, got, tc.want)
		}
	}
}

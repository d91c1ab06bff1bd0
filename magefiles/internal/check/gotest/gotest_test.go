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
		{"all", Options{}, []string{"test", "-count=1", "-timeout", "45m", "-ldflags=-w", "-p", "3", "-vet=off", "./..."}},
		{"short", Options{Short: true, First: []string{"./slow"}}, []string{"test", "-count=1", "-timeout", "45m", "-ldflags=-w", "-short", "./..."}},
		{"longest first", Options{First: []string{"./slow", "./slower"}},
			[]string{"test", "-count=1", "-timeout", "45m", "-ldflags=-w", "-p", "3", "-vet=off", "./slow", "./slower", "./..."}},
		{"extra and packages", Options{Extra: "-run Seed -v", Pkgs: []string{"./seeddata/..."}, First: []string{"./slow"}},
			[]string{"test", "-count=1", "-timeout", "45m", "-ldflags=-w", "-p", "3", "-vet=off", "-run", "Seed", "-v", "./seeddata/..."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Args(tc.opts); !slices.Equal(got, tc.want) {
				t.Errorf("Args(%+v) = %q, want %q", tc.opts, got, tc.want)
			}
		})
	}
}

// Packages run ahead are left out of the full run, which keeps its
// packages-at-once; their own run has the full run's flags. A
// short run, or one of chosen packages, runs nothing ahead.
func TestAheadArgs(t *testing.T) {
	opts := Options{Extra: "-v", First: []string{"./e2e", "./slow"}, Ahead: []string{"./e2e"}}
	rest := []string{"./fast", "./slow"}
	if got, want := args(opts, rest), []string{"test", "-count=1", "-timeout", "45m", "-ldflags=-w", "-p", "3", "-vet=off", "-v", "./slow", "./fast", "./slow"}; !slices.Equal(got, want) {
		t.Errorf("args = %q, want %q", got, want)
	}
	if got, want := AheadArgs(opts), []string{"test", "-count=1", "-timeout", "45m", "-ldflags=-w", "-p", "3", "-vet=off", "-v", "./e2e"}; !slices.Equal(got, want) {
		t.Errorf("AheadArgs = %q, want %q", got, want)
	}
	for _, o := range []Options{{Short: true, Ahead: []string{"./e2e"}}, {Pkgs: []string{"./x"}, Ahead: []string{"./e2e"}}, {}} {
		if got := AheadArgs(o); got != nil {
			t.Errorf("AheadArgs(%+v) = %q, want nil", o, got)
		}
	}
	if got, want := Args(Options{Short: true, Ahead: []string{"./e2e"}}), []string{"test", "-count=1", "-timeout", "45m", "-ldflags=-w", "-short", "./..."}; !slices.Equal(got, want) {
		t.Errorf("short Args = %q, want %q", got, want)
	}
}

// go list's directories become ./-relative packages, those run ahead left
// out; a package to run ahead that ./... no longer has is an error, not a
// package silently never tested.
func TestRelativeWithout(t *testing.T) {
	got, err := relativeWithout("/repo", []string{"/repo", "/repo/a", "/repo/a/e2e", "/repo/b"}, []string{"./a/e2e"})
	if want := []string{".", "./a", "./b"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("relativeWithout = %q, %v; want %q", got, err, want)
	}
	_, err = relativeWithout("/repo", []string{"/repo/a"}, []string{"./gone"})
	if err == nil || err.Error() != "go test: ./gone is to run ahead but go list ./... does not list it" {
		t.Errorf("err = %v", err)
	}
	_, err = relativeWithout("/repo", []string{"/elsewhere/a"}, nil)
	if err == nil || err.Error() != "go list: /elsewhere/a is outside /repo" {
		t.Errorf("err = %v", err)
	}
}

// The race pass tests the named packages again with -race, with the run's
// extra flags; a short run, or one of chosen packages, has none.
func TestRaceArgs(t *testing.T) {
	race := []string{"./pipeline", "./kit/sh"}
	for _, tc := range []struct {
		name string
		opts Options
		want []string
	}{
		{"all", Options{Race: race, First: []string{"./slow"}}, []string{"test", "-count=1", "-timeout", "45m", "-ldflags=-w", "-race", "-vet=off", "./pipeline", "./kit/sh"}},
		{"extra", Options{Race: race, Extra: "-run Lease -v"}, []string{"test", "-count=1", "-timeout", "45m", "-ldflags=-w", "-race", "-vet=off", "-run", "Lease", "-v", "./pipeline", "./kit/sh"}},
		{"none named", Options{}, nil},
		{"short", Options{Short: true, Race: race}, nil},
		{"chosen packages", Options{Race: race, Pkgs: []string{"./seeddata/..."}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RaceArgs(tc.opts); !slices.Equal(got, tc.want) {
				t.Errorf("RaceArgs(%+v) = %q, want %q", tc.opts, got, tc.want)
			}
		})
	}
}

// The compile step vets with the run's build flags, so the packages it
// compiles are the ones the run (and lint's vet) finds in the cache; the
// race pass's packages are vetted again with -race.
func TestCompileArgs(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want [][]string
	}{
		{Options{Extra: "-v -run Seed"}, [][]string{{"vet", "./..."}}},
		{Options{Race: []string{"./pipeline", "./kit/sh"}}, [][]string{{"vet", "./..."}, {"vet", "-race", "./pipeline", "./kit/sh"}}},
		{Options{Short: true, Race: []string{"./pipeline"}}, [][]string{{"vet", "./..."}}},
		{Options{Pkgs: []string{"./seeddata/..."}, Race: []string{"./pipeline"}}, [][]string{{"vet", "./seeddata/..."}}},
	} {
		if got := CompileArgs(tc.opts); !slices.EqualFunc(got, tc.want, slices.Equal) {
			t.Errorf("CompileArgs(%+v) = %q, want %q", tc.opts, got, tc.want)
		}
	}
}

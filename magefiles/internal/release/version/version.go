// Package version validates release versions before any work is done: strict
// semantic versions vX.Y.Z for staging and local releases, commit SHAs (7–40
// lowercase hex digits) for dev. Anything else is refused with one line that
// says what was expected.
package version

import (
	"fmt"
	"regexp"
	"strconv"
)

// Kind is the version form an environment releases.
type Kind int

const (
	// Semver is vX.Y.Z: no leading zeros, no pre-release or build suffix.
	Semver Kind = iota
	// Commit is a git commit SHA, abbreviated (7+) or full (40).
	Commit
)

var (
	semverRE = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)
	commitRE = regexp.MustCompile(`^[0-9a-f]{7,40}$`)
)

// SemverOf is a parsed vX.Y.Z.
type SemverOf struct{ Major, Minor, Patch int }

func (s SemverOf) String() string { return fmt.Sprintf("v%d.%d.%d", s.Major, s.Minor, s.Patch) }

// Less orders versions numerically (v1.10.0 after v1.9.0).
func (s SemverOf) Less(o SemverOf) bool {
	if s.Major != o.Major {
		return s.Major < o.Major
	}
	if s.Minor != o.Minor {
		return s.Minor < o.Minor
	}
	return s.Patch < o.Patch
}

// ParseSemver parses a strict vX.Y.Z.
func ParseSemver(v string) (SemverOf, error) {
	m := semverRE.FindStringSubmatch(v)
	if m == nil {
		return SemverOf{}, invalid(v, Semver)
	}
	var out [3]int
	for i := range out {
		n, err := strconv.Atoi(m[i+1])
		if err != nil { // only on overflow: the pattern admits digits only
			return SemverOf{}, fmt.Errorf("invalid version %q: %s is too large", v, m[i+1])
		}
		out[i] = n
	}
	return SemverOf{out[0], out[1], out[2]}, nil
}

// Validate checks v against the kind; the error is one line.
func Validate(kind Kind, v string) error {
	switch kind {
	case Semver:
		_, err := ParseSemver(v)
		return err
	case Commit:
		if !commitRE.MatchString(v) {
			return invalid(v, Commit)
		}
		return nil
	}
	return fmt.Errorf("invalid version %q: unknown version kind %d", v, kind)
}

func invalid(v string, kind Kind) error {
	want := "vX.Y.Z (strict semver, e.g. v1.2.3: no leading zeros, no suffix)"
	if kind == Commit {
		want = "a commit SHA (7 to 40 lowercase hex digits)"
	}
	if v == "" {
		return fmt.Errorf("invalid version: empty; want %s", want)
	}
	return fmt.Errorf("invalid version %q: want %s", v, want)
}

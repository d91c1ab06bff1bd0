package version

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestValidateSemver(t *testing.T) {
	ok := []string{"v0.0.0", "v0.1.0", "v1.2.3", "v10.20.30", "v1.10.0"}
	for _, v := range ok {
		if err := Validate(Semver, v); err != nil {
			t.Errorf("%q refused: %v", v, err)
		}
	}
	bad := map[string]string{
		"":              `invalid version: empty; want vX.Y.Z (strict semver, e.g. v1.2.3: no leading zeros, no suffix)`,
		"1.2":           `invalid version "1.2": want vX.Y.Z (strict semver, e.g. v1.2.3: no leading zeros, no suffix)`,
		"1.2.3":         `invalid version "1.2.3": want vX.Y.Z (strict semver, e.g. v1.2.3: no leading zeros, no suffix)`,
		"v1.2":          `invalid version "v1.2": want vX.Y.Z (strict semver, e.g. v1.2.3: no leading zeros, no suffix)`,
		"v1.2.3-":       `invalid version "v1.2.3-": want vX.Y.Z (strict semver, e.g. v1.2.3: no leading zeros, no suffix)`,
		"v1.2.3-rc.1":   `invalid version "v1.2.3-rc.1": want vX.Y.Z (strict semver, e.g. v1.2.3: no leading zeros, no suffix)`,
		"v1.2.3+build":  `invalid version "v1.2.3+build": want vX.Y.Z (strict semver, e.g. v1.2.3: no leading zeros, no suffix)`,
		"v01.2.3":       `invalid version "v01.2.3": want vX.Y.Z (strict semver, e.g. v1.2.3: no leading zeros, no suffix)`,
		"V1.2.3":        `invalid version "V1.2.3": want vX.Y.Z (strict semver, e.g. v1.2.3: no leading zeros, no suffix)`,
		" v1.2.3":       `invalid version " v1.2.3": want vX.Y.Z (strict semver, e.g. v1.2.3: no leading zeros, no suffix)`,
		"v1.2.3\n":      `invalid version "v1.2.3\n": want vX.Y.Z (strict semver, e.g. v1.2.3: no leading zeros, no suffix)`,
		"latest":        `invalid version "latest": want vX.Y.Z (strict semver, e.g. v1.2.3: no leading zeros, no suffix)`,
		"v1.2.3garbage": `invalid version "v1.2.3garbage": want vX.Y.Z (strict semver, e.g. v1.2.3: no leading zeros, no suffix)`,
	}
	for v, want := range bad {
		err := Validate(Semver, v)
		if err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %q", v, err, want)
		}
	}
	if _, err := ParseSemver("v99999999999999999999.0.0"); err == nil {
		t.Error("overflowing major accepted")
	}
}

func TestValidateCommit(t *testing.T) {
	for _, v := range []string{"abc1234", "0123456789abcdef0123456789abcdef01234567"} {
		if err := Validate(Commit, v); err != nil {
			t.Errorf("%q refused: %v", v, err)
		}
	}
	for _, v := range []string{"", "abc123", "ABC1234", "0123456789abcdef0123456789abcdef012345678", "v1.2.3", "abc123g"} {
		if err := Validate(Commit, v); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
}

func TestParseAndOrder(t *testing.T) {
	s, err := ParseSemver("v1.10.2")
	if err != nil || s != (SemverOf{1, 10, 2}) {
		t.Fatalf("got %v, %v", s, err)
	}
	if !(SemverOf{1, 9, 0}).Less(SemverOf{1, 10, 0}) || (SemverOf{2, 0, 0}).Less(SemverOf{1, 99, 99}) {
		t.Error("order is not numeric")
	}
}

// Every well-formed version round-trips; any mutation that adds a suffix,
// a leading zero or drops the v is refused.
func TestSemverProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.IntRange(0, 100000).Draw(t, "major")
		b := rapid.IntRange(0, 100000).Draw(t, "minor")
		c := rapid.IntRange(0, 100000).Draw(t, "patch")
		v := fmt.Sprintf("v%d.%d.%d", a, b, c)
		got, err := ParseSemver(v)
		if err != nil || got.String() != v {
			t.Fatalf("%q: got %v, %v", v, got, err)
		}
		suffix := rapid.StringMatching(`[-+.a-z0-9 ]{1,8}`).Draw(t, "suffix")
		if Validate(Semver, v+suffix) == nil && !isDigits(suffix) {
			t.Fatalf("%q accepted", v+suffix)
		}
		if Validate(Semver, strings.TrimPrefix(v, "v")) == nil {
			t.Fatalf("%q without v accepted", v)
		}
		if Validate(Semver, fmt.Sprintf("v0%d.%d.%d", a, b, c)) == nil {
			t.Fatalf("leading zero accepted")
		}
	})
}

// Arbitrary strings are accepted only when they match the literal grammar,
// checked here independently of the package's regexp.
func TestArbitraryStringsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.StringMatching(`v?[0-9.]{0,8}[-a-z]?`).Draw(t, "s")
		accepted := Validate(Semver, s) == nil
		if accepted != wellFormed(s) {
			t.Fatalf("%q: accepted=%v", s, accepted)
		}
	})
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// wellFormed is an independent, hand-written check of vX.Y.Z.
func wellFormed(s string) bool {
	if !strings.HasPrefix(s, "v") {
		return false
	}
	parts := strings.Split(s[1:], ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if !isDigits(p) || (len(p) > 1 && p[0] == '0') {
			return false
		}
	}
	return true
}

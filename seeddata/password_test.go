package seeddata

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// A hash made once by HashPassword for "correct horse battery" and kept
// literally: VerifyPassword must go on accepting hashes already stored.
const knownHash = "$argon2id$v=19$m=19456,t=2,p=1$x8AwTJRZqiOoMLUKlpkdTQ$CTUHV/pz8YtrJM36pJlYkgiG6tM2D6Jxnsi8yJHMKQw"

func TestPasswordHash(t *testing.T) {
	h1, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(h1) {
		t.Fatalf("hash %q is not an argon2id PHC string with the documented parameters", h1)
	}
	h2, _ := HashPassword("correct horse")
	if h1 == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if strings.Contains(h1, "correct horse") {
		t.Fatal("hash contains the password")
	}
	for pw, want := range map[string]bool{"correct horse": true, "correct horsf": false, "": false} {
		ok, err := VerifyPassword(h1, pw)
		if err != nil || ok != want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false} {
		if ok, err := VerifyPassword(knownHash, pw); err != nil || ok != want {
			t.Errorf("VerifyPassword(knownHash, %q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
}

// Tampered or foreign hashes are refused with one clear error before argon2
// runs: no panic, no unbounded allocation or time.
func TestVerifyPasswordRefusesTamperedHashes(t *testing.T) {
	const salt16 = "x8AwTJRZqiOoMLUKlpkdTQ"                     // 16 bytes
	const key32 = "CTUHV/pz8YtrJM36pJlYkgiG6tM2D6Jxnsi8yJHMKQw" // 32 bytes
	for _, tc := range []struct{ hash, want string }{
		{"", "bad password hash: not an argon2id PHC string"},
		{"$2a$10$bcrypt", "bad password hash: not an argon2id PHC string"},
		{"$argon2i$v=19$m=19456,t=2,p=1$" + salt16 + "$" + key32, "bad password hash: not an argon2id PHC string"},
		{"x$argon2id$v=19$m=19456,t=2,p=1$" + salt16 + "$" + key32, "bad password hash: not an argon2id PHC string"},
		{"$argon2id$v=16$m=19456,t=2,p=1$" + salt16 + "$" + key32, "bad password hash: unsupported argon2 version (want v=19)"},
		{"$argon2id$v=19$m=19456,t=2$" + salt16 + "$" + key32, "bad password hash: parameters are not m=…,t=…,p=…"},
		{"$argon2id$v=19$m=19456,t=2,p=1x$" + salt16 + "$" + key32, "bad password hash: parameters are not m=…,t=…,p=…"},
		{"$argon2id$v=19$m=19456,t=+2,p=1$" + salt16 + "$" + key32, "bad password hash: parameters are not m=…,t=…,p=…"},
		{"$argon2id$v=19$m=019456,t=2,p=1$" + salt16 + "$" + key32, "bad password hash: parameters are not m=…,t=…,p=…"},
		{"$argon2id$v=19$t=2,m=19456,p=1$" + salt16 + "$" + key32, "bad password hash: parameters are not m=…,t=…,p=…"},
		{"$argon2id$v=19$m=4294967295,t=2,p=1$" + salt16 + "$" + key32, "bad password hash: m=4294967295 outside [8, 65536]"},
		{"$argon2id$v=19$m=4294967296,t=2,p=1$" + salt16 + "$" + key32, "bad password hash: parameters are not m=…,t=…,p=…"},
		{"$argon2id$v=19$m=65537,t=2,p=1$" + salt16 + "$" + key32, "bad password hash: m=65537 outside [8, 65536]"},
		{"$argon2id$v=19$m=31,t=1,p=4$" + salt16 + "$" + key32, "bad password hash: m=31 outside [32, 65536]"},
		{"$argon2id$v=19$m=19456,t=0,p=1$" + salt16 + "$" + key32, "bad password hash: t=0 outside [1, 5]"},
		{"$argon2id$v=19$m=19456,t=4000000000,p=1$" + salt16 + "$" + key32, "bad password hash: t=4000000000 outside [1, 5]"},
		{"$argon2id$v=19$m=19456,t=2,p=0$" + salt16 + "$" + key32, "bad password hash: p=0 outside [1, 4]"},
		{"$argon2id$v=19$m=19456,t=2,p=255$" + salt16 + "$" + key32, "bad password hash: p=255 outside [1, 4]"},
		{"$argon2id$v=19$m=19456,t=2,p=1$" + salt16 + "$", "bad password hash: digest of 0 bytes outside [16, 64]"},
		{"$argon2id$v=19$m=19456,t=2,p=1$" + salt16 + "$AAAAAAAAAAAAAAAAAAAA", "bad password hash: digest of 15 bytes outside [16, 64]"},
		{"$argon2id$v=19$m=19456,t=2,p=1$" + salt16 + "$" + strings.Repeat("A", 88), "bad password hash: digest of 66 bytes outside [16, 64]"},
		{"$argon2id$v=19$m=19456,t=2,p=1$$" + key32, "bad password hash: salt of 0 bytes outside [16, 64]"},
		{"$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAA$" + key32, "bad password hash: salt of 8 bytes outside [16, 64]"},
		{"$argon2id$v=19$m=19456,t=2,p=1$" + salt16 + "==$" + key32, "bad password hash: salt is not unpadded base64"},
		{"$argon2id$v=19$m=19456,t=2,p=1$" + salt16 + "$" + key32 + "=", "bad password hash: digest is not unpadded base64"},
		{"$argon2id$v=19$m=19456,t=2,p=1$" + salt16 + "$" + key32 + "$", "bad password hash: not an argon2id PHC string"},
	} {
		ok, err := VerifyPassword(tc.hash, "correct horse battery")
		if ok || err == nil || err.Error() != tc.want || !errors.Is(err, ErrBadHash) {
			t.Errorf("VerifyPassword(%q) = %v, %v; want error %q", tc.hash, ok, err, tc.want)
		}
	}
}

// boundedPHC is the test's own statement of what VerifyPassword may accept,
// independent of parseHash.
var boundedPHC = regexp.MustCompile(`^\$argon2id\$v=19\$m=([1-9][0-9]*),t=([1-5]),p=([1-4])\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)

// FuzzVerifyPassword: whatever the stored hash holds, VerifyPassword returns
// (never panics) and computes only for hashes within the documented bounds.
// The seed corpus (below and testdata/fuzz/FuzzVerifyPassword) runs in every
// `go test`; `go test -fuzz=FuzzVerifyPassword` explores further.
func FuzzVerifyPassword(f *testing.F) {
	f.Add(knownHash, "correct horse battery")
	f.Add(knownHash, "")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$x8AwTJRZqiOoMLUKlpkdTQ$", "x")
	f.Add("$argon2id$v=19$m=4294967295,t=4294967295,p=1$x8AwTJRZqiOoMLUKlpkdTQ$CTUHV/pz8YtrJM36pJlYkgiG6tM2D6Jxnsi8yJHMKQw", "x")
	f.Add("$argon2id$v=19$m=19456,t=2,p=0$x8AwTJRZqiOoMLUKlpkdTQ$CTUHV/pz8YtrJM36pJlYkgiG6tM2D6Jxnsi8yJHMKQw", "x")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "")
	f.Fuzz(func(t *testing.T, hash, password string) {
		ok, err := VerifyPassword(hash, password)
		if err != nil {
			if ok || !errors.Is(err, ErrBadHash) {
				t.Fatalf("VerifyPassword(%q) = %v, %v: an error must be ErrBadHash with ok=false", hash, ok, err)
			}
			return
		}
		m := boundedPHC.FindStringSubmatch(hash)
		if m == nil {
			t.Fatalf("VerifyPassword accepted %q, which is not a bounded argon2id PHC string", hash)
		}
		mem, _ := strconv.Atoi(m[1])
		p, _ := strconv.Atoi(m[3])
		if mem > 65536 || mem < 8*p || len(m[4]) < 22 || len(m[4]) > 86 || len(m[5]) < 22 || len(m[5]) > 86 {
			t.Fatalf("VerifyPassword accepted %q: memory, salt or digest out of bounds", hash)
		}
		if ok && hash == knownHash && password != "correct horse battery" {
			t.Fatalf("knownHash verified password %q", password)
		}
	})
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		p, err := GeneratePassword()
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[A-HJ-NP-Za-km-z2-9]{24}$`).MatchString(p) {
			t.Fatalf("generated password %q not 24 unambiguous letters/digits", p)
		}
		if seen[p] {
			t.Fatal("generated the same password twice")
		}
		seen[p] = true
	}
}

package seeddata

import (
	"regexp"
	"strings"
	"testing"
)

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
	if _, err := VerifyPassword("$2a$10$bcrypt", "x"); err == nil {
		t.Error("a non-argon2id hash verified without error")
	}
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

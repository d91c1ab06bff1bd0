package dbconfig

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The committed RDS CA bundle is exactly the one reviewed (README.md, "TLS to
// the database"): its hash, its size, what each certificate is, and when the
// first of them expires are literal here, so a changed file is a deliberate,
// reviewed change.
func TestRDSCABundle(t *testing.T) {
	sum := sha256.Sum256(rdsCABundle)
	if got := hex.EncodeToString(sum[:]); got != "26edf290f2d57ebbd5273fb9463b763497a47c14a4712d73ce47da8dc4ad57dc" {
		t.Errorf("rds-ca-bundle.pem sha256 %s: the bundle changed; review it and update this test and README.md", got)
	}
	cn := regexp.MustCompile(`^Amazon RDS ([a-z]+-[a-z]+-[0-9]|Beta us-east-1|Preview us-east-2) Root CA (RSA2048|RSA4096|ECC384) G1$`)
	rest := rdsCABundle
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			t.Fatalf("PEM block %q in the bundle", b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatalf("certificate %d: %v", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if strings.TrimSpace(string(rest)) != "" {
		t.Fatalf("%d bytes after the last certificate", len(rest))
	}
	if len(certs) != 87 {
		t.Fatalf("%d certificates, want 87", len(certs))
	}
	regions := map[string]int{}
	earliest := certs[0].NotAfter
	for _, c := range certs {
		m := cn.FindStringSubmatch(c.Subject.CommonName)
		if m == nil || !c.IsCA || c.Subject.String() != c.Issuer.String() || c.Subject.Organization[0] != "Amazon Web Services, Inc." {
			t.Errorf("unexpected certificate %q (CA %v, issuer %q)", c.Subject, c.IsCA, c.Issuer)
			continue
		}
		if err := c.CheckSignatureFrom(c); err != nil {
			t.Errorf("%s is not self-signed: %v", c.Subject.CommonName, err)
		}
		regions[m[1]]++
		if c.NotAfter.Before(earliest) {
			earliest = c.NotAfter
		}
	}
	// The kit's two regions, each with its three root CAs.
	for _, r := range []string{"us-west-2", "us-east-1"} {
		if regions[r] != 3 {
			t.Errorf("%d root CAs for %s, want 3 (RSA2048, RSA4096, ECC384)", regions[r], r)
		}
	}
	if want := time.Date(2061, 5, 18, 21, 49, 45, 0, time.UTC); !earliest.Equal(want) {
		t.Errorf("first expiry %s, want %s", earliest.UTC(), want)
	}
	// Fails a year ahead of the first expiry, while there is time to refresh.
	if time.Until(earliest) < 365*24*time.Hour {
		t.Errorf("a certificate of the bundle expires on %s: refresh it (README.md)", earliest.UTC())
	}
	if pool, err := RDSRootCAs(); err != nil || pool == nil {
		t.Fatalf("RDSRootCAs: %v", err)
	}
}

func TestWithDefaultSSLMode(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:p@h:5432/db":                    "postgres://u:p@h:5432/db?sslmode=require",
		"postgresql://u@h/db?connect_timeout=5":       "postgresql://u@h/db?connect_timeout=5&sslmode=require",
		"postgres://u@h/db?":                          "postgres://u@h/db?sslmode=require",
		"postgres://u@h/db?sslmode=disable":           "postgres://u@h/db?sslmode=disable",
		"postgres://u@h/db?sslmode=verify-full&x=1":   "postgres://u@h/db?sslmode=verify-full&x=1",
		"postgres://u@h/db?ssl=true":                  "postgres://u@h/db?ssl=true",
		"host=h dbname=d user=u":                      "host=h dbname=d user=u sslmode=require",
		"host=h sslmode=disable":                      "host=h sslmode=disable",
		"":                                            "",
		"postgres://u:p@h/db?application_name=seeder": "postgres://u:p@h/db?application_name=seeder&sslmode=require",
	} {
		if got := WithDefaultSSLMode(in); got != want {
			t.Errorf("WithDefaultSSLMode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRootCAsAndConnConfig(t *testing.T) {
	env := func(m map[string]string) Getenv { return func(k string) string { return m[k] } }
	if p, err := RootCAs(env(nil)); p != nil || err != nil {
		t.Fatalf("unset: %v %v", p, err)
	}
	rds, err := RootCAs(env(map[string]string{"DB_SSLROOTCERT": "rds"}))
	if rds == nil || err != nil {
		t.Fatalf("rds: %v", err)
	}
	_, err = RootCAs(env(map[string]string{"DB_SSLROOTCERT": "/etc/ca.pem"}))
	if err == nil || err.Error() != `DB_SSLROOTCERT="/etc/ca.pem": only "rds" (the Amazon RDS CA bundle built in) is supported; for a CA file put sslrootcert=<path> in DATABASE_URL` {
		t.Fatalf("file: %v", err)
	}
	const needs = "DB_SSLROOTCERT needs sslmode=verify-full (or verify-ca): with any other sslmode the server's certificate is not verified"
	for mode, want := range map[string]string{"": needs, "require": needs, "prefer": needs, "allow": needs, "disable": needs, "verify-ca": "", "verify-full": ""} {
		u := "postgres://u:secret@db.example:5432/d"
		if mode != "" {
			u += "?sslmode=" + mode
		}
		cfg, err := ConnConfig(u, rds)
		switch {
		case want != "" && (err == nil || err.Error() != want):
			t.Errorf("sslmode %q: %v, want %q", mode, err, want)
		case want == "" && err != nil:
			t.Errorf("sslmode %q: %v", mode, err)
		case want == "" && (cfg.TLSConfig.RootCAs != rds):
			t.Errorf("sslmode %q: RootCAs not set", mode)
		}
	}
	// Without a pool: the default sslmode applies (one TLS config, no
	// plain-text fallback), and a bad URL is reported without itself.
	cfg, err := ConnConfig("postgres://u:secret@db.example:5432/d", nil)
	if err != nil || cfg.TLSConfig == nil || len(cfg.Fallbacks) != 0 || !cfg.TLSConfig.InsecureSkipVerify {
		t.Fatalf("default sslmode: %v %+v", err, cfg)
	}
	if _, err := ConnConfig("postgres://u:secret@db.example:notaport/d", nil); err == nil || strings.Contains(err.Error(), "secret") || err != ErrBadURL {
		t.Fatalf("bad URL: %v", err)
	}
}

func TestDatabaseURLDefaults(t *testing.T) {
	env := func(m map[string]string) Getenv { return func(k string) string { return m[k] } }
	u, err := DatabaseURL(env(map[string]string{"DB_HOST": "h", "DB_NAME": "d", "DB_USER": "u", "DB_PASSWORD": "p"}))
	if err != nil || u != "postgres://u:p@h:5432/d?sslmode=require" {
		t.Fatalf("assembled: %q %v", u, err)
	}
	u, err = DatabaseURL(env(map[string]string{"DATABASE_URL": "postgres://u:p@h/d"}))
	if err != nil || u != "postgres://u:p@h/d?sslmode=require" {
		t.Fatalf("DATABASE_URL without sslmode: %q %v", u, err)
	}
}

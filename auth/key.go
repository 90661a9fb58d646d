package auth

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// An API key reads sp_<id>_<secret>: a recognisable prefix, the public key id (safe to log,
// used as the pg wire user name for SCRAM) and 256 random bits of secret. Both parts are
// lower-case base32 without padding, so a key survives URLs, shells and connection strings.
const (
	keyPrefix   = "sp_"
	idBytes     = 10 // 80 bits: ids are public, they only need to be unique
	secretBytes = 32 // 256 bits
)

var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

var (
	idLen     = keyEncoding.EncodedLen(idBytes)
	secretLen = keyEncoding.EncodedLen(secretBytes)
)

// SCRAM verifiers are derived with this many PBKDF2 iterations, PostgreSQL's default. The
// secret is random, so they add little; clients expect a familiar count.
const scramIterations = 4096

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return keyEncoding.EncodeToString(b), nil
}

// newKeyID returns a fresh random key id.
func newKeyID() (string, error) { return randomString(idBytes) }

// newSecret returns the full key string for id with a fresh secret.
func newSecret(id string) (string, error) {
	s, err := randomString(secretBytes)
	if err != nil {
		return "", err
	}
	return keyPrefix + id + "_" + s, nil
}

// IsKeyID reports whether s has the shape of a key id.
func IsKeyID(s string) bool {
	if len(s) != idLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// KeyIDOf returns the key id inside a presented key, or "" when the string is not shaped like
// one of our keys. It never looks at the secret part beyond its length and alphabet.
func KeyIDOf(key string) string {
	rest, ok := strings.CutPrefix(key, keyPrefix)
	if !ok {
		return ""
	}
	id, sec, ok := strings.Cut(rest, "_")
	if !ok || !IsKeyID(id) || len(sec) != secretLen {
		return ""
	}
	for i := 0; i < len(sec); i++ {
		c := sec[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return ""
		}
	}
	return id
}

// digest is what is stored of a key: SHA-256 of the whole key string. A slow hash would add
// nothing to a 256-bit random secret.
func digest(key string) []byte {
	d := sha256.Sum256([]byte(key))
	return d[:]
}

// SCRAMVerifier is the SCRAM-SHA-256 verifier of a key (RFC 5802, 7677): what the server needs
// to check a client's proof and to prove itself, and nothing that logs in by itself.
type SCRAMVerifier struct {
	Salt       []byte
	Iterations int
	StoredKey  []byte
	ServerKey  []byte
}

// newSCRAMVerifier derives the verifier of password with the given salt and iteration count.
// The password needs no SASLprep: keys are ASCII letters, digits and '_'.
func newSCRAMVerifier(password string, salt []byte, iterations int) (SCRAMVerifier, error) {
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return SCRAMVerifier{}, err
	}
	clientKey := hmacSHA256(salted, []byte("Client Key"))
	stored := sha256.Sum256(clientKey)
	return SCRAMVerifier{
		Salt:       salt,
		Iterations: iterations,
		StoredKey:  stored[:],
		ServerKey:  hmacSHA256(salted, []byte("Server Key")),
	}, nil
}

func hmacSHA256(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

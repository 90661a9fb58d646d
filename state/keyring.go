package state

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/fernet/fernet-go"
)

// Keyring holds the Fernet keys of UBI_SECRET_KEY: the first encrypts, every key decrypts, so
// a new key can go first while records made under the old one stay readable until RotateKey.
// It never renders its keys: printing or logging it shows only their fingerprints.
type Keyring struct {
	keys []*fernet.Key
	ids  []string
}

// ErrNoKey means credentials need UBI_SECRET_KEY and it is not set.
var ErrNoKey = errors.New("UBI_SECRET_KEY is not set; make a key with 'setupranali keygen' and set it in the environment")

// ParseKeyring reads a comma-separated list of Fernet keys (URL-safe or standard base64 of 32
// bytes, as Python's Fernet.generate_key() and 'setupranali keygen' make them). Errors say which
// key is wrong by position, never what it holds.
func ParseKeyring(s string) (*Keyring, error) {
	if strings.TrimSpace(s) == "" {
		return nil, ErrNoKey
	}
	k := &Keyring{}
	seen := map[string]bool{}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, fmt.Errorf("UBI_SECRET_KEY: key %d of %d is empty", i+1, len(parts))
		}
		key, err := fernet.DecodeKey(p)
		if err != nil {
			return nil, fmt.Errorf("UBI_SECRET_KEY: key %d of %d is not a Fernet key (want 32 bytes in URL-safe base64, as 'setupranali keygen' prints)", i+1, len(parts))
		}
		id := keyID(key)
		if seen[id] {
			continue
		}
		seen[id] = true
		k.keys = append(k.keys, key)
		k.ids = append(k.ids, id)
	}
	return k, nil
}

// GenerateKey returns a new random key in the format of Python's Fernet.generate_key().
func GenerateKey() (string, error) {
	var k fernet.Key
	if err := k.Generate(); err != nil {
		return "", fmt.Errorf("generating a key: %w", err)
	}
	return k.Encode(), nil
}

// keyID is a key's public fingerprint: enough to tell keys apart in records and messages,
// useless for recovering the key (a truncated SHA-256 of 256 random bits).
func keyID(k *fernet.Key) string {
	h := sha256.New()
	h.Write([]byte("setupranali fernet key id\x00"))
	h.Write(k[:])
	return hex.EncodeToString(h.Sum(nil)[:6])
}

// KeyID is the fingerprint of an encoded key, or "" if s is not a key.
func KeyID(s string) string {
	k, err := fernet.DecodeKey(strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	return keyID(k)
}

// IDs are the fingerprints of the keys, the encrypting one first.
func (k *Keyring) IDs() []string { return append([]string(nil), k.ids...) }

// Primary is the fingerprint of the encrypting key.
func (k *Keyring) Primary() string { return k.ids[0] }

// encrypt seals msg under the first key.
func (k *Keyring) encrypt(msg []byte) (token, id string, err error) {
	tok, err := fernet.EncryptAndSign(msg, k.keys[0])
	if err != nil {
		return "", "", fmt.Errorf("encrypting: %w", err)
	}
	return string(tok), k.ids[0], nil
}

// decrypt opens a token made by the key with fingerprint id ("" to try every key). The error
// is errWrongKey when the keyring lacks that key, errCorrupt when the key is there and the token
// does not verify under it.
func (k *Keyring) decrypt(token, id string) ([]byte, error) {
	keys := k.keys
	if id != "" {
		keys = nil
		for i, kid := range k.ids {
			if kid == id {
				keys = []*fernet.Key{k.keys[i]}
			}
		}
		if keys == nil {
			return nil, errWrongKey
		}
	}
	msg := fernet.VerifyAndDecrypt([]byte(token), 0, keys)
	if msg == nil {
		if id == "" {
			return nil, errWrongKey
		}
		return nil, errCorrupt
	}
	return msg, nil
}

var (
	errWrongKey = errors.New("wrong key")
	errCorrupt  = errors.New("corrupt token")
)

// String shows the fingerprints only.
func (k *Keyring) String() string {
	if k == nil {
		return "Keyring(none)"
	}
	return "Keyring(" + strings.Join(k.ids, ",") + ")"
}

// GoString keeps %#v from printing key bytes.
func (k *Keyring) GoString() string { return k.String() }

// LogValue keeps slog from printing key bytes.
func (k *Keyring) LogValue() slog.Value { return slog.StringValue(k.String()) }

package state

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestGenerateKeyFormat(t *testing.T) {
	k1, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := GenerateKey()
	if k1 == k2 {
		t.Fatal("two generated keys are equal")
	}
	b, err := base64.URLEncoding.DecodeString(k1)
	if err != nil || len(b) != 32 || len(k1) != 44 {
		t.Fatalf("key %d chars decodes to %d bytes (%v); want URL-safe base64 of 32 bytes", len(k1), len(b), err)
	}
	if _, err := ParseKeyring(k1 + ", " + k2); err != nil {
		t.Fatal(err)
	}
}

func TestParseKeyringErrorsHideKeys(t *testing.T) {
	good, _ := GenerateKey()
	for _, in := range []string{"", "  ", good + ",", good + ",not-a-key-but-a-secret", "c2hvcnQ=", good[:43] + "!"} {
		_, err := ParseKeyring(in)
		if err == nil {
			t.Errorf("%q accepted", in)
			continue
		}
		for _, part := range strings.Split(in, ",") {
			if p := strings.TrimSpace(part); p != "" && strings.Contains(err.Error(), p) {
				t.Errorf("error %q repeats key material", err)
			}
		}
	}
}

func TestKeyringNeverRendersKeys(t *testing.T) {
	k, _ := GenerateKey()
	kr, err := ParseKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "keys", kr)
	raw, _ := base64.URLEncoding.DecodeString(k)
	for _, out := range []string{fmt.Sprint(kr), fmt.Sprintf("%v %+v %#v %s", kr, kr, kr, kr), logs.String(), fmt.Sprintf("%v", *kr)} {
		if strings.Contains(out, k) || strings.Contains(out, fmt.Sprint(raw)) || strings.Contains(out, fmt.Sprintf("%x", raw)) {
			t.Errorf("keyring rendered its key: %s", out)
		}
	}
	c := Credentials{Password: "pw-secret-1", DSN: "postgres://u:dsn-secret-2@h/db"}
	logs.Reset()
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "creds", c, "nested", struct{ C Credentials }{c})
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", c, c, c, c), logs.String()} {
		if strings.Contains(out, "secret-1") || strings.Contains(out, "secret-2") {
			t.Errorf("credentials rendered: %s", out)
		}
	}
}

// Keys and tokens made by Python's cryptography package (what the original product used) work
// here, and the other way round.
func TestFernetInteroperatesWithPython(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import cryptography.fernet").Run(); err != nil {
		if os.Getenv("SETU_REQUIRE_CLIENTS") != "" {
			t.Fatalf("python3 with the cryptography module is required (SETU_REQUIRE_CLIENTS is set): %v", err)
		}
		t.Skipf("python3 with the cryptography module is not available: %v", err)
	}
	// Python makes a key and a token.
	out, err := exec.Command(py, "-c", `
from cryptography.fernet import Fernet
k = Fernet.generate_key()
print(k.decode())
print(Fernet(k).encrypt(b'{"password":"from python"}').decode())
`).Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 {
		t.Fatalf("python printed %q", out)
	}
	kr, err := ParseKeyring(lines[0])
	if err != nil {
		t.Fatalf("a Python key: %v", err)
	}
	msg, err := kr.decrypt(lines[1], KeyID(lines[0]))
	if err != nil || string(msg) != `{"password":"from python"}` {
		t.Fatalf("a Python token decrypted to %q (%v)", msg, err)
	}
	// Go makes a key and a token; Python reads them.
	gk, _ := GenerateKey()
	gkr, _ := ParseKeyring(gk)
	tok, _, err := gkr.encrypt([]byte("from go"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", `
import sys
from cryptography.fernet import Fernet
k, t = sys.stdin.read().split()
print(Fernet(k.encode()).decrypt(t.encode()).decode())
`)
	cmd.Stdin = strings.NewReader(gk + "\n" + tok + "\n")
	out, err = cmd.Output()
	if err != nil || strings.TrimSpace(string(out)) != "from go" {
		t.Fatalf("python decrypted %q (%v)", out, err)
	}
}

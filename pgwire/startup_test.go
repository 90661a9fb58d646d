package pgwire

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/sqlerr"
)

func TestStartupParameterStatus(t *testing.T) {
	ts := startServer(t, nil)
	cfg, err := pgx.ParseConfig(ts.connString(goodKey))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = "bi-tool"
	cfg.RuntimeParams["TimeZone"] = "Europe/Berlin"
	cfg.RuntimeParams["extra_float_digits"] = "3" // unknown to us: must be ignored
	conn, err := pgx.ConnectConfig(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(testCtx(t))

	want := map[string]string{
		"server_version":                "15.8",
		"server_encoding":               "UTF8",
		"client_encoding":               "UTF8",
		"DateStyle":                     "ISO, MDY",
		"IntervalStyle":                 "postgres",
		"integer_datetimes":             "on",
		"standard_conforming_strings":   "on",
		"TimeZone":                      "Europe/Berlin",
		"application_name":              "bi-tool",
		"is_superuser":                  "off",
		"session_authorization":         "alice",
		"default_transaction_read_only": "off",
		"in_hot_standby":                "off",
	}
	for name, value := range want {
		if got := conn.PgConn().ParameterStatus(name); got != value {
			t.Errorf("ParameterStatus(%q) = %q, want %q", name, got, value)
		}
	}
	if conn.PgConn().PID() == 0 || len(conn.PgConn().SecretKey()) != 4 {
		t.Errorf("BackendKeyData: pid %d, secret of %d bytes", conn.PgConn().PID(), len(conn.PgConn().SecretKey()))
	}

	// Defaults, and a pid of its own for the second connection.
	other := ts.connect(t)
	if got := other.PgConn().ParameterStatus("TimeZone"); got != "UTC" {
		t.Errorf("default TimeZone = %q, want UTC", got)
	}
	if other.PgConn().PID() == conn.PgConn().PID() {
		t.Error("two connections share a pid")
	}
	if !strings.Contains(ts.logs.String(), "key_id=key-1") {
		t.Error("the session log does not name the key id")
	}
}

func TestServerVersionConfig(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.ServerVersion = "16.4 (SetuPranali)" })
	conn := ts.connect(t)
	if got := conn.PgConn().ParameterStatus("server_version"); got != "16.4 (SetuPranali)" {
		t.Errorf("server_version = %q", got)
	}
}

func TestAuthenticationFailures(t *testing.T) {
	ts := startServer(t, nil)
	for _, tc := range []struct {
		name, key, code, message string
	}{
		{"wrong key", badKey, sqlerr.InvalidPassword, "invalid API key"},
		{"empty key", "", sqlerr.InvalidPassword, "no API key"},
		{"key store down", brokenKey, sqlerr.InvalidPassword, "internal error (ref "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pgx.Connect(testCtx(t), ts.connString(tc.key))
			if pgCode(err) != tc.code {
				t.Fatalf("connect error = %v, want SQLSTATE %s", err, tc.code)
			}
			if !strings.Contains(err.Error(), tc.message) {
				t.Errorf("error %q does not mention %q", err, tc.message)
			}
			if tc.key != "" && strings.Contains(err.Error(), tc.key) {
				t.Error("the error echoes the key")
			}
		})
	}
	if logs := ts.logs.String(); !strings.Contains(logs, "state db unreachable") {
		t.Errorf("the key store failure is not logged:\n%s", logs)
	}
}

func TestMaxConnections(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.Admission = admission.New(admission.Config{MaxConnections: 2, MaxConnectionsPerKey: 2, MaxConnectionsPerTenant: 2})
	})
	first := ts.connect(t)
	ts.connect(t)

	const full = "sorry, too many clients already (the server's cap of 2 connections)"
	_, err := pgx.Connect(testCtx(t), ts.connString(goodKey))
	if pgCode(err) != sqlerr.TooManyConnections || !strings.Contains(err.Error(), full) {
		t.Fatalf("third connection: %v, want SQLSTATE 53300 %q", err, full)
	}

	// A client asking for SSL first is refused the same way, after its 'N' and its login.
	c := ts.dial(t)
	c.send(&pgproto3.SSLRequest{})
	readN(t, c)
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "alice"}})
	if _, ok := c.receive().(*pgproto3.AuthenticationCleartextPassword); !ok {
		t.Fatal("expected a password request")
	}
	c.send(&pgproto3.PasswordMessage{Password: goodKey})
	if er := c.expectError(sqlerr.TooManyConnections); er.Severity != "FATAL" || er.Message != full {
		t.Errorf("got %s %q", er.Severity, er.Message)
	}
	c.expectClosed()

	// Closing a connection frees its slot (asynchronously: the server notices the close).
	first.Close(testCtx(t))
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := pgx.Connect(testCtx(t), ts.connString(goodKey))
		if err == nil {
			conn.Close(testCtx(t))
			break
		}
		if pgCode(err) != sqlerr.TooManyConnections || time.Now().After(deadline) {
			t.Fatalf("after a close: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStartupTimeoutFreesSlot(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.Admission = admission.New(admission.Config{MaxConnections: 1})
		c.StartupTimeout = 200 * time.Millisecond
	})
	// This client takes the only startup slot, then never answers the password request.
	stalled := ts.dial(t)
	stalled.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "alice"}})
	if _, ok := stalled.receive().(*pgproto3.AuthenticationCleartextPassword); !ok {
		t.Fatal("expected a password request")
	}
	start := time.Now()
	stalled.expectClosed()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("stalled startup closed after %v", d)
	}
	ts.connect(t)
}

// readN reads the one-byte answer to SSLRequest or GSSEncRequest.
func readN(t *testing.T, c *rawClient) {
	t.Helper()
	var b [1]byte
	if _, err := c.nc.Read(b[:]); err != nil || b[0] != 'N' {
		t.Fatalf("answer to encryption request: %q, %v", b[:], err)
	}
}

func TestEncryptionRequestsRefusedOnSameSocket(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.send(&pgproto3.GSSEncRequest{})
	readN(t, c)
	c.send(&pgproto3.SSLRequest{})
	readN(t, c)
	c.login()
	c.send(&pgproto3.Query{String: "select 1"})
	if got := types(until[*pgproto3.ReadyForQuery](c)); got != "RowDescription DataRow CommandComplete ReadyForQuery" {
		t.Errorf("got %s", got)
	}

	// pgx's default sslmode=prefer asks for TLS, is refused, and connects in clear.
	conn, err := pgx.Connect(testCtx(t), strings.Replace(ts.connString(goodKey), "sslmode=disable", "sslmode=prefer", 1))
	if err != nil {
		t.Fatalf("pgx with sslmode=prefer: %v", err)
	}
	conn.Close(testCtx(t))
}

func TestProtocolNegotiation(t *testing.T) {
	ts := startServer(t, nil)

	// 3.2 and _pq_ options are negotiated down to plain 3.0.
	c := ts.dial(t)
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion32,
		Parameters: map[string]string{"user": "alice", "_pq_.future": "1"}})
	npv, ok := c.receive().(*pgproto3.NegotiateProtocolVersion)
	if !ok || npv.NewestMinorProtocol != 0 || !slices.Equal(npv.UnrecognizedOptions, []string{"_pq_.future"}) {
		t.Fatalf("got %#v, want NegotiateProtocolVersion to 3.0 naming _pq_.future", npv)
	}
	if _, ok := c.receive().(*pgproto3.AuthenticationCleartextPassword); !ok {
		t.Fatal("expected a password request after negotiation")
	}

	// pgx asking for 3.2 accepts the answer.
	conn, err := pgx.Connect(testCtx(t), ts.connString(goodKey)+"&max_protocol_version=3.2")
	if err != nil {
		t.Fatalf("pgx with max_protocol_version=3.2: %v", err)
	}
	conn.Close(testCtx(t))
}

func TestBadStartupPackets(t *testing.T) {
	ts := startServer(t, nil)
	packet := func(version uint32, body string) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
		b = binary.BigEndian.AppendUint32(b, version)
		return append(b, body...)
	}
	for _, tc := range []struct {
		name string
		raw  []byte
		code string // "" when the server may just hang up
	}{
		{"http request", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), sqlerr.ProtocolViolation},
		{"huge length", []byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}, sqlerr.ProtocolViolation},
		{"protocol 4.0", packet(4<<16, "user\x00alice\x00\x00"), sqlerr.ProtocolViolation},
		{"unterminated parameters", packet(pgproto3.ProtocolVersion30, "user\x00alice"), sqlerr.ProtocolViolation},
		{"no user", packet(pgproto3.ProtocolVersion30, "database\x00x\x00\x00"), sqlerr.InvalidAuthorization},
		{"truncated", []byte{0, 0, 0, 40, 0, 3}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.dial(t)
			if _, err := c.nc.Write(tc.raw); err != nil {
				t.Fatal(err)
			}
			if tc.code == "" {
				c.nc.(interface{ CloseWrite() error }).CloseWrite()
			} else if er := c.expectError(tc.code); er.Severity != "FATAL" {
				t.Errorf("severity %s, want FATAL", er.Severity)
			}
			c.expectClosed()
		})
	}
	// The server is still serving.
	var n int
	if err := ts.connect(t).QueryRow(testCtx(t), "select 1").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after bad packets: %d, %v", n, err)
	}
}

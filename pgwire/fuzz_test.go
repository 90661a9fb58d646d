package pgwire

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// FuzzMessages sends arbitrary bytes as the startup packet or, after a login, as messages. The
// server must answer or hang up without a panic (which would be recovered, but logged) and keep
// serving.
func FuzzMessages(f *testing.F) {
	enc := func(msgs ...pgproto3.FrontendMessage) []byte {
		var b []byte
		for _, m := range msgs {
			b, _ = m.Encode(b)
		}
		return b
	}
	f.Add(false, enc(&pgproto3.SSLRequest{}))
	f.Add(false, enc(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u"}}))
	f.Add(false, enc(&pgproto3.CancelRequest{ProcessID: 1, SecretKey: []byte{1, 2, 3, 4}}))
	f.Add(true, enc(&pgproto3.Query{String: "select 1; missing"}))
	f.Add(true, enc(&pgproto3.Parse{Query: "select 1"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{}))
	f.Add(true, enc(&pgproto3.Parse{Name: "s", Query: "select echo", ParameterOIDs: []uint32{23, 1700}},
		&pgproto3.Bind{PreparedStatement: "s", ParameterFormatCodes: []int16{1, 0}, Parameters: [][]byte{{0, 0, 0, 1}, []byte("1.5")}, ResultFormatCodes: []int16{1}},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Execute{}, &pgproto3.Close{ObjectType: 'S', Name: "s"}, &pgproto3.Sync{}))
	f.Add(true, enc(&pgproto3.Query{String: "begin"}, &pgproto3.Parse{Query: "select rows 5"}, &pgproto3.Bind{DestinationPortal: "p"},
		&pgproto3.Execute{Portal: "p", MaxRows: 2}, &pgproto3.Sync{}, &pgproto3.Query{String: "set local application_name = 'x'; missing"},
		&pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{}, &pgproto3.Query{String: "rollback"}))
	f.Add(true, enc(&pgproto3.CopyData{Data: []byte("x")}, &pgproto3.Terminate{}))
	f.Add(true, []byte{'Q', 0, 0, 0, 3})

	ts := startServer(f, func(c *Config) { c.MaxMessageSize = 1 << 16 })
	f.Fuzz(func(t *testing.T, afterLogin bool, data []byte) {
		c := ts.dial(t)
		c.nc.SetDeadline(time.Now().Add(5 * time.Second))
		if afterLogin {
			c.login()
		}
		if _, err := c.nc.Write(data); err != nil {
			return
		}
		c.nc.(interface{ CloseWrite() error }).CloseWrite()
		io.Copy(io.Discard, c.nc)
		if strings.Contains(ts.logs.String(), "panic serving connection") {
			t.Fatalf("panic on input %q:\n%s", data, ts.logs.String())
		}
	})
}

package pgwire

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// The protocol fuzz targets feed arbitrary bytes to a real connection of a real Server: the
// startup phase (FuzzStartup) and the message loop of a session that has logged in
// (FuzzSession). Inputs travel over a socketpair, not loopback TCP, so a long run does not run
// out of ports to TIME_WAIT. The oracle, checked on every input:
//
//   - no panic (a recovered panic is logged; such a record fails the input);
//   - no hang: every input is followed by fuzzPad, after which the server must have answered
//     and hung up within fuzzHang; a result too big to read is cut by the client, and the
//     server must notice the dead socket and stop;
//   - bounded memory: the server's output is read but not kept, MaxMessageSize caps what a
//     message may make it buffer, and the fuzzing process's heap is checked now and then;
//   - the server keeps serving: the connection is forgotten (no goroutine or slot kept), and
//     every fuzzProbeEvery inputs a fresh session logs in and runs a query.
//
// Long runs: docs/reliability.md. Seed corpora: f.Add below and testdata/fuzz/<target>/.

const (
	fuzzHang        = 20 * time.Second
	fuzzOutputCap   = 1 << 20
	fuzzProbeEvery  = 200
	fuzzHeapLimit   = 1 << 30
	fuzzMaxBodySize = 1 << 16
)

// fuzzServer is one Server shared by all the inputs a fuzzing process runs.
type fuzzServer struct {
	srv    *Server
	ts     *testServer
	errs   *errorRecorder
	inputs atomic.Int64
}

// errorRecorder is a log handler keeping the first records of recovered panics, but for the
// fake planner's deliberate one ("panic" plans to a panic); the rest of the log is dropped, so
// a long run does not hold it in memory. Internal errors are logged at ERROR too, but the fake
// executor makes them on purpose ("boom").
type errorRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *errorRecorder) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (r *errorRecorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.Key + "=" + a.Value.String())
		return true
	})
	if msg := b.String(); !strings.Contains(msg, "panic") || strings.Contains(msg, "panic=planner bug") {
		return nil
	}
	r.mu.Lock()
	if len(r.msgs) < 10 {
		r.msgs = append(r.msgs, b.String())
	}
	r.mu.Unlock()
	return nil
}
func (r *errorRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *errorRecorder) WithGroup(string) slog.Handler      { return r }

func (r *errorRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.msgs
	r.msgs = nil
	return m
}

func newFuzzServer(f *testing.F) *fuzzServer {
	errs := &errorRecorder{}
	ts := startServer(f, func(c *Config) {
		c.MaxMessageSize = fuzzMaxBodySize
		c.Log = slog.New(errs)
	})
	// "slow" would wait for the test; here it answers at once. It reports on these channels,
	// which hold 16; a fuzzer sends it far more often.
	close(ts.exec.release)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-ts.exec.started:
			case <-ts.exec.stopped:
			case <-stop:
				return
			}
		}
	}()
	f.Cleanup(func() { close(stop) })
	return &fuzzServer{srv: ts.srv, ts: ts, errs: errs}
}

// pairConn is the server's end of a socketpair, which has no peer address: it passes for a
// loopback client, as the fuzzing client is one.
type pairConn struct{ net.Conn }

func (pairConn) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }

// socketPair returns two connected stream sockets: the client end keeps CloseWrite.
func socketPair(t testing.TB) (client *net.UnixConn, server net.Conn) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	conns := make([]net.Conn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	return conns[0].(*net.UnixConn), pairConn{conns[1]}
}

// connCount is how many connections the server is serving.
func (fs *fuzzServer) connCount() int {
	fs.srv.mu.Lock()
	defer fs.srv.mu.Unlock()
	return len(fs.srv.conns)
}

// fuzzPad follows every input: whatever message the input leaves unfinished, the zeros complete
// it (no message may be longer than MaxMessageSize) and then read as a message of type 0 and
// length 0, which the server must refuse and hang up on. So every input ends the connection
// without the client closing first (a closed socket is a client gone: it cancels everything at
// once and would hide what the input does).
var fuzzPad = make([]byte, fuzzMaxBodySize+16)

// run sends input on a fresh connection, reads the answer until the server hangs up (or, past
// fuzzOutputCap, hangs up itself) and checks the oracle. It returns the start of what the
// server sent.
func (fs *fuzzServer) run(t *testing.T, input []byte) []byte {
	t.Helper()
	cl, sv := socketPair(t)
	defer cl.Close()
	if !fs.srv.track(sv) {
		t.Fatal("server refused a connection")
	}
	cl.SetDeadline(time.Now().Add(fuzzHang))
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		// Fails once the server hangs up on a bad message; that is an answer, not a problem.
		if _, err := cl.Write(input); err == nil {
			cl.Write(fuzzPad)
		}
	}()
	var out []byte
	buf := make([]byte, 32<<10)
	for total := 0; total < fuzzOutputCap; {
		n, err := cl.Read(buf)
		total += n
		if len(out) < 64<<10 {
			out = append(out, buf[:min(n, 64<<10-len(out))]...)
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("hang: the server neither finished nor hung up within %v on input %q", fuzzHang, input)
			}
			break
		}
	}
	cl.Close()
	<-wrote
	fs.settle(t, input)
	return out
}

// settle waits for the server to forget every connection and checks the log and, now and then,
// that it still serves and that the heap is bounded.
func (fs *fuzzServer) settle(t *testing.T, input []byte) {
	t.Helper()
	deadline := time.Now().Add(fuzzHang)
	for fs.connCount() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the server kept a connection %v after its client hung up; input %q", fuzzHang, input)
		}
		time.Sleep(time.Millisecond)
	}
	if errs := fs.errs.take(); len(errs) > 0 {
		t.Fatalf("server logged errors on input %q:\n%s", input, strings.Join(errs, "\n"))
	}
	// The fake planner records what it planned; a long run must not keep it all.
	fs.ts.plan.mu.Lock()
	fs.ts.plan.planned = nil
	fs.ts.plan.mu.Unlock()
	if n := fs.inputs.Add(1); n%fuzzProbeEvery == 0 {
		fs.probe(t)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > fuzzHeapLimit {
			t.Fatalf("heap in use %d MiB after %d inputs", ms.HeapInuse>>20, n)
		}
	}
}

// probe logs in on a fresh connection and runs a query: the server still serves.
func (fs *fuzzServer) probe(t *testing.T) {
	t.Helper()
	out := fs.run(t, append(loginBytes(), encodeMsgs(&pgproto3.Query{String: "select 1"}, &pgproto3.Terminate{})...))
	if !strings.Contains(string(out), "SELECT 1\x00") {
		t.Fatalf("the server no longer answers a query; it sent %q", out)
	}
}

func encodeMsgs(msgs ...pgproto3.FrontendMessage) []byte {
	var b []byte
	for _, m := range msgs {
		var err error
		if b, err = m.Encode(b); err != nil {
			panic(err)
		}
	}
	return b
}

// loginBytes is a whole login sent up front: the server reads the password after asking.
func loginBytes() []byte {
	return encodeMsgs(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "alice", "database": "analytics"}},
		&pgproto3.PasswordMessage{Password: goodKey})
}

// FuzzStartup sends arbitrary bytes as the start of a connection: SSLRequest, GSSEncRequest,
// CancelRequest, StartupMessage, the password, or garbage.
func FuzzStartup(f *testing.F) {
	startup := func(v uint32, p map[string]string) *pgproto3.StartupMessage {
		return &pgproto3.StartupMessage{ProtocolVersion: v, Parameters: p}
	}
	user := map[string]string{"user": "u"}
	f.Add(encodeMsgs(&pgproto3.SSLRequest{}))
	f.Add(encodeMsgs(&pgproto3.SSLRequest{}, &pgproto3.SSLRequest{}))
	f.Add(encodeMsgs(&pgproto3.GSSEncRequest{}, &pgproto3.SSLRequest{}, startup(pgproto3.ProtocolVersion30, user)))
	f.Add(encodeMsgs(startup(pgproto3.ProtocolVersion30, user)))
	f.Add(encodeMsgs(startup(pgproto3.ProtocolVersion30, map[string]string{"database": "d"})))
	f.Add(encodeMsgs(startup(pgproto3.ProtocolVersion30|2, map[string]string{"user": "u", "_pq_.x": "1"})))
	f.Add(encodeMsgs(startup(pgproto3.ProtocolVersion30, map[string]string{"user": "u", "TimeZone": "Asia/Kolkata",
		"application_name": "x", "statement_timeout": "5s", "DateStyle": "bogus"})))
	f.Add(encodeMsgs(&pgproto3.CancelRequest{ProcessID: 1, SecretKey: []byte{1, 2, 3, 4}}))
	f.Add(loginBytes())
	f.Add(encodeMsgs(startup(pgproto3.ProtocolVersion30, user), &pgproto3.PasswordMessage{Password: badKey}))
	f.Add(encodeMsgs(startup(pgproto3.ProtocolVersion30, user), &pgproto3.PasswordMessage{Password: ""}))
	f.Add(encodeMsgs(startup(pgproto3.ProtocolVersion30, user), &pgproto3.Query{String: "select 1"}))
	f.Add([]byte{0, 0, 0, 8, 0, 3, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 3, 0, 0})
	fs := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		fs.run(t, data)
	})
}

// FuzzSession logs in, then sends arbitrary bytes as frontend messages to the session's message
// loop: simple and extended protocol, COPY messages, function calls, garbage.
func FuzzSession(f *testing.F) {
	f.Add(encodeMsgs(&pgproto3.Query{String: "select 1; missing"}))
	f.Add(encodeMsgs(&pgproto3.Query{String: "select rows 100000"}))
	f.Add(encodeMsgs(&pgproto3.Query{String: "slow"}))
	f.Add(encodeMsgs(&pgproto3.Query{String: "set statement_timeout = '1ms'; select 1; syntax!"}))
	f.Add(encodeMsgs(&pgproto3.Parse{Query: "select 1"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{}))
	f.Add(encodeMsgs(&pgproto3.Parse{Name: "s", Query: "select echo", ParameterOIDs: []uint32{23, 1700}},
		&pgproto3.Bind{PreparedStatement: "s", ParameterFormatCodes: []int16{1, 0}, Parameters: [][]byte{{0, 0, 0, 1}, []byte("1.5")}, ResultFormatCodes: []int16{1}},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Execute{}, &pgproto3.Close{ObjectType: 'S', Name: "s"}, &pgproto3.Sync{}))
	f.Add(encodeMsgs(&pgproto3.Query{String: "begin"}, &pgproto3.Parse{Query: "select rows 5"}, &pgproto3.Bind{DestinationPortal: "p"},
		&pgproto3.Execute{Portal: "p", MaxRows: 2}, &pgproto3.Sync{}, &pgproto3.Query{String: "set local application_name = 'x'; missing"},
		&pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{}, &pgproto3.Query{String: "rollback"}))
	f.Add(encodeMsgs(&pgproto3.Parse{Query: "select many"}, &pgproto3.Bind{ResultFormatCodes: []int16{1}}, &pgproto3.Describe{ObjectType: 'S'},
		&pgproto3.Execute{}, &pgproto3.Flush{}, &pgproto3.Bind{Parameters: [][]byte{[]byte("x")}}, &pgproto3.Sync{}))
	f.Add(encodeMsgs(&pgproto3.Query{String: "declare c cursor for select rows 10"}, &pgproto3.Query{String: "fetch 3 from c"}))
	f.Add(encodeMsgs(&pgproto3.FunctionCall{Function: 1}, &pgproto3.CopyData{Data: []byte("x")}, &pgproto3.CopyDone{}, &pgproto3.CopyFail{Message: "m"}))
	f.Add(encodeMsgs(&pgproto3.PasswordMessage{Password: "again"}))
	f.Add(encodeMsgs(&pgproto3.Terminate{}, &pgproto3.Query{String: "select 1"}))
	f.Add([]byte{'Q', 0, 0, 0, 3})
	f.Add([]byte{'P', 0x7f, 0xff, 0xff, 0xff})
	f.Add([]byte{'B', 0, 0, 0, 14, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0})
	fs := newFuzzServer(f)
	login := loginBytes()
	f.Fuzz(func(t *testing.T, data []byte) {
		out := fs.run(t, append(login[:len(login):len(login)], data...))
		// The login itself must have worked, or the input never reached the message loop.
		if ok, _ := (&pgproto3.AuthenticationOk{}).Encode(nil); !strings.Contains(string(out), string(ok)) {
			t.Fatalf("login failed before the input: %q", out)
		}
	})
}

package httpapi

import (
	"context"
	"net"
	"testing"
	"time"
)

// A server stopped before its Serve goroutine has run must not serve afterwards: the gateway
// starts Serve in a goroutine and may stop at once (a failed start-up, a test's cleanup).
func TestStopBeforeServe(t *testing.T) {
	for name, stop := range map[string]func(*Server) error{
		"Close":    (*Server).Close,
		"Shutdown": func(s *Server) error { return s.Shutdown(context.Background()) },
	} {
		t.Run(name, func(t *testing.T) {
			srv := New(Config{})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			if err := stop(srv); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Serve after %s: %v", name, err)
				}
			case <-time.After(10 * time.Second):
				srv.Close()
				t.Fatalf("Serve went on serving after %s", name)
			}
			if c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
				c.Close()
				t.Errorf("the listener still accepts after %s", name)
			}
		})
	}
}

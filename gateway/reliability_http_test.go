package gateway

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/setupranali/setupranali/internal/testkit"
)

// Slowloris: clients that send their HTTP headers a byte at a time are cut off by the server's
// header timeout, and the server answers others meanwhile.
func TestSlowlorisHTTP(t *testing.T) {
	gw := startTestGateway(t)
	addr := gw.HTTPAddr().String()
	const slow = 20
	closed := make(chan error, slow)
	for range slow {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		if _, err := io.WriteString(nc, "GET /v1/health HTTP/1.1\r\nHost: x\r\n"); err != nil {
			t.Fatal(err)
		}
		go func() {
			for i := 0; i < 240; i++ {
				if _, err := nc.Write([]byte{"X-Slow: 1\r\n"[i%11]}); err != nil {
					return
				}
				time.Sleep(500 * time.Millisecond)
			}
		}()
		go func() {
			nc.SetReadDeadline(time.Now().Add(90 * time.Second))
			_, err := io.Copy(io.Discard, nc)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				closed <- errors.New("the server still holds a connection whose headers never end")
				return
			}
			closed <- nil
		}()
	}
	// The server serves normal clients while the slow ones hang on.
	for range 5 {
		resp, err := http.Get("http://" + addr + "/v1/health")
		if err != nil {
			t.Fatalf("health during slowloris: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("health during slowloris: %d", resp.StatusCode)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for range slow {
		if err := <-closed; err != nil {
			t.Fatal(err)
		}
	}
}

// A catalog reload (POST /internal/reload) while pg and OData clients query: no query fails.
func TestCatalogReloadUnderLoad(t *testing.T) {
	gw := startTestGateway(t)
	base := "http://" + gw.HTTPAddr().String()
	var (
		ok, failed atomic.Int64
		firstErr   atomic.Value
		stop       atomic.Bool
		wg         sync.WaitGroup
	)
	fail := func(err error) {
		failed.Add(1)
		firstErr.CompareAndSwap(nil, err.Error())
	}
	for w := range 4 {
		conn := connect(t, gw, []string{"tenantA-key", "tenantB-key"}[w%2])
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				if _, err := tryRows(conn, fmt.Sprintf("SELECT city, total_revenue FROM orders WHERE city <> 'r%d-%d' ORDER BY city", w, i)); err != nil {
					fail(err)
				} else {
					ok.Add(1)
				}
			}
		})
	}
	client := &http.Client{Timeout: 20 * time.Second}
	get := func(path string) error {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("X-API-Key", "tenantA-key")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(body), "Indore") {
			return fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		return nil
	}
	for w := range 2 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				if err := get(fmt.Sprintf("/odata/orders?$select=city,total_revenue&$filter=city%%20ne%%20%%27o%d-%d%%27", w, i)); err != nil {
					fail(err)
				} else {
					ok.Add(1)
				}
			}
		})
	}
	reload := func() error {
		ctx := testkit.ContextWithin(t, 30*time.Second)
		req, _ := http.NewRequestWithContext(ctx, "POST", base+"/internal/reload", nil)
		req.Header.Set("X-API-Key", "internal-admin-key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			return fmt.Errorf("reload: %d %s", resp.StatusCode, body)
		}
		return nil
	}
	testkit.Eventually(t, "the load to start", func() bool { return ok.Load() > 50 || failed.Load() > 0 })
	for range 10 {
		if err := reload(); err != nil {
			stop.Store(true)
			wg.Wait()
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	before := ok.Load()
	testkit.Eventually(t, "queries after the reloads", func() bool { return ok.Load() > before+50 || failed.Load() > 0 })
	stop.Store(true)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d of %d queries failed during 10 catalog reloads; first: %v", n, n+ok.Load(), firstErr.Load())
	}
	t.Logf("%d pg and OData queries during 10 catalog reloads, none failed", ok.Load())
}

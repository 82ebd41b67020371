//go:build e2e

package reliability

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/facevec/facevec/localstack/embedded"
)

// TestStackListensOnLoopbackOnly: the embedded stack accepts any
// credentials, so by default it must not be reachable from other hosts.
// Its endpoint must be a loopback address, it must answer there, and it
// must refuse connections on this host's other addresses.
func TestStackListensOnLoopbackOnly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	srv, err := embedded.Start(ctx, embedded.WithWorkDir(t.TempDir()), embedded.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("embedded.Start: %v", err)
	}
	defer func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()

	u, err := url.Parse(srv.Endpoint())
	if err != nil {
		t.Fatalf("endpoint %q: %v", srv.Endpoint(), err)
	}
	if u.Hostname() != "127.0.0.1" {
		t.Fatalf("endpoint %s: listening on %s by default, want 127.0.0.1", srv.Endpoint(), u.Hostname())
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(srv.Endpoint() + embedded.HealthPath)
	if err != nil {
		t.Fatalf("health check on loopback: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health check on loopback: %s", resp.Status)
	}

	// Every other address of this host must refuse the port.
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatalf("interface addresses: %v", err)
	}
	tried := 0
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		tried++
		target := net.JoinHostPort(ipn.IP.String(), u.Port())
		conn, err := net.DialTimeout("tcp", target, 3*time.Second)
		if err == nil {
			conn.Close()
			t.Errorf("the stack answers on %s: reachable from other hosts", target)
			continue
		}
		t.Logf("%s refused: %v", target, err)
	}
	if tried == 0 {
		t.Log("this host has no non-loopback address to try")
	}
}

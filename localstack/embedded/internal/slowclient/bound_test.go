package slowclient

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testTimeout = 400 * time.Millisecond

// serve runs Bound(handler) on loopback; the handler answers with the
// number of body bytes it read (or the read error) after pause.
func serve(t *testing.T, pause time.Duration) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = Bound(&http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		time.Sleep(pause)
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestTimeout)
			return
		}
		if r.Context().Err() != nil {
			http.Error(w, "context canceled", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, n)
	})}, testTimeout)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// closedWithin reports whether the server closes conn (or answers and
// closes) within limit; what it answered, if anything, is returned.
func closedWithin(t *testing.T, conn net.Conn, limit time.Duration) (bool, string) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(limit))
	b, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false, string(b)
	}
	return true, string(b)
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// The limits are 0.4 s; waiting 10 s leaves room for a loaded machine and
// still fails where nothing cuts the connection.
const patience = 10 * time.Second

func TestStalledHeadersAreCut(t *testing.T) {
	conn := dial(t, serve(t, 0))
	fmt.Fprint(conn, "PUT /b/k HTTP/1.1\r\nHost: 127.0.0.1\r\n")
	if closed, _ := closedWithin(t, conn, patience); !closed {
		t.Fatalf("a client that stopped in the headers still holds the connection after %v", patience)
	}
}

func TestStalledBodyIsCut(t *testing.T) {
	conn := dial(t, serve(t, 0))
	fmt.Fprint(conn, "PUT /b/k HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nabc")
	closed, answer := closedWithin(t, conn, patience)
	if !closed {
		t.Fatalf("a client that stopped sending its body still holds the connection after %v: %q", patience, answer)
	}
	if strings.Contains(answer, "200 OK") {
		t.Errorf("a truncated body was accepted: %q", answer)
	}
}

func TestIdleConnectionIsClosed(t *testing.T) {
	conn := dial(t, serve(t, 0))
	fmt.Fprint(conn, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if closed, _ := closedWithin(t, conn, patience); !closed {
		t.Fatalf("an idle keep-alive connection is still open after %v", patience)
	}
}

// A large upload on a slow link keeps sending: it takes longer than the
// limit in total but is never idle that long, and is accepted whole.
func TestSlowButSteadyBodyIsAccepted(t *testing.T) {
	addr := serve(t, 0)
	const chunks, chunk = 20, 1000
	pr, pw := io.Pipe()
	go func() {
		for range chunks {
			time.Sleep(testTimeout / 8)
			if _, err := pw.Write(make([]byte, chunk)); err != nil {
				return
			}
		}
		pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPut, "http://"+addr+"/b/k", pr)
	req.ContentLength = chunks * chunk
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != fmt.Sprint(chunks*chunk) {
		t.Fatalf("slow upload of %v: %d %q, want 200 %d", time.Since(start), resp.StatusCode, body, chunks*chunk)
	}
}

// A handler that works long after the body is complete is not cut: the
// body deadline ends with the body.
func TestLongHandlerAfterCompleteBody(t *testing.T) {
	addr := serve(t, 3*testTimeout)
	resp, err := http.Post("http://"+addr+"/b/k", "application/octet-stream", strings.NewReader("photo"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "5" {
		t.Fatalf("%d %q, want 200 \"5\"", resp.StatusCode, body)
	}
}

package lambdasvc

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// createDirect creates an echofn function through the handler, without a
// network round trip.
func createDirect(svc *Service, name string) error {
	body := fmt.Sprintf(`{"FunctionName":%q,"Runtime":"provided.al2023","Handler":"bootstrap","Code":{"ZipFile":%q}}`,
		name, base64.StdEncoding.EncodeToString(echoZip))
	rec := httptest.NewRecorder()
	svc.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/2015-03-31/functions", strings.NewReader(body)))
	if rec.Code != http.StatusCreated {
		return fmt.Errorf("create %s: %d %s", name, rec.Code, rec.Body)
	}
	return nil
}

// BenchmarkInvokeWarm measures a synchronous invocation of a warm
// environment through the Go API (the Runtime API round trip included).
func BenchmarkInvokeWarm(b *testing.B) {
	svc, err := New(Options{WorkDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	if err := createDirect(svc, "bench"); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	payload := []byte(`{"echo_only":true,"echo":{"k":"v"}}`)
	if _, err := svc.Invoke(ctx, "bench", payload); err != nil { // cold start
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := svc.Invoke(ctx, "bench", payload)
		if err != nil || res.FunctionError != "" {
			b.Fatalf("invoke: %v %s", err, res.Payload)
		}
	}
}

// BenchmarkCreateAndFirstInvoke measures a deploy (unpacking the package)
// plus a cold start (process and Runtime API) and one invocation, in the
// sandbox (where this process can build one) and as a plain process: the
// difference is the sandbox's cost on a cold start.
func BenchmarkCreateAndFirstInvoke(b *testing.B) {
	for _, mode := range []struct {
		name      string
		noSandbox bool
	}{{"sandbox", false}, {"plain", true}} {
		b.Run(mode.name, func(b *testing.B) { benchCreateAndFirstInvoke(b, mode.noSandbox) })
	}
}

func benchCreateAndFirstInvoke(b *testing.B, noSandbox bool) {
	svc, err := New(Options{WorkDir: b.TempDir(), NoSandbox: noSandbox})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	if !noSandbox && !svc.sandbox.active() {
		b.Skipf("no sandbox here: %v", svc.sandbox.gaps)
	}
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		name := fmt.Sprintf("cold-%d", i)
		if err := createDirect(svc, name); err != nil {
			b.Fatal(err)
		}
		res, err := svc.Invoke(ctx, name, []byte(`{}`))
		if err != nil || res.FunctionError != "" {
			b.Fatalf("invoke: %v %s", err, res.Payload)
		}
		rec := httptest.NewRecorder()
		svc.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/2015-03-31/functions/"+name, nil))
		if rec.Code != http.StatusNoContent {
			b.Fatalf("delete: %d %s", rec.Code, rec.Body)
		}
	}
}

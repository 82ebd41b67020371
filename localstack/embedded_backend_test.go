package localstack

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/facevec/facevec/localstack/container"
)

func TestStartEmbedded(t *testing.T) {
	st, err := Start(context.Background(), WithBackend(BackendEmbedded), WithRegion("eu-west-1"),
		WithWorkDir(t.TempDir()), WithMaxConcurrency(2), WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	}()
	if st.Backend() != BackendEmbedded || st.Region() != "eu-west-1" || !strings.HasPrefix(st.Endpoint(), "http://127.0.0.1:") {
		t.Fatalf("backend %s region %s endpoint %q", st.Backend(), st.Region(), st.Endpoint())
	}
	exerciseStack(t, st)
}

// TestStartFallsBackWhenLocalStackCannotRun runs the real selection with an
// image no registry serves: with or without a Docker engine, Start falls back
// to the embedded stand-in and logs why, naming the image.
func TestStartFallsBackWhenLocalStackCannotRun(t *testing.T) {
	const image = "facevec.invalid/localstack:4.14.0"
	t.Setenv(EnvBackend, "")
	var logs strings.Builder
	st, err := Start(context.Background(), WithImage(image),
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Backend() != BackendEmbedded {
		t.Errorf("backend = %s, want embedded", st.Backend())
	}
	if !strings.Contains(logs.String(), "no Docker engine answered") &&
		!strings.Contains(logs.String(), "image "+image+" not present and cannot be pulled") {
		t.Errorf("the backend log line does not say why LocalStack was not used:\n%s", logs.String())
	}
}

// TestStartForcedLocalStackNamesTheImage: E2E_BACKEND=localstack with an
// image that cannot be had is an error naming it, returned before anything
// starts, never a hang in a pull or a wait.
func TestStartForcedLocalStackNamesTheImage(t *testing.T) {
	const image = "facevec.invalid/localstack:4.14.0"
	t.Setenv(EnvBackend, "localstack")
	st, err := Start(context.Background(), WithImage(image), WithLogger(quietLogger()))
	if err == nil {
		st.Close()
		t.Fatal("Start succeeded with an image nobody serves")
	}
	if errors.Is(err, container.ErrNoDocker) {
		t.Skipf("no Docker engine here: %v", err)
	}
	if !errors.Is(err, container.ErrImageUnavailable) || !strings.Contains(err.Error(), image) {
		t.Errorf("err = %v, want container.ErrImageUnavailable naming %s", err, image)
	}
}

func TestStartEmbeddedAddrInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = Start(context.Background(), WithBackend(BackendEmbedded), WithAddr(l.Addr().String()), WithLogger(quietLogger()))
	if err == nil || !strings.Contains(err.Error(), l.Addr().String()) {
		t.Fatalf("err = %v, want an error naming %s", err, l.Addr())
	}
}

package localstack

import (
	"context"
	"net"
	"strings"
	"testing"
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

// TestStartEmbeddedChosenWithoutDocker runs the real selection: where no
// Docker engine answers and E2E_BACKEND is unset, Start falls back to the
// embedded stand-in.
func TestStartEmbeddedChosenWithoutDocker(t *testing.T) {
	if dockerHealth(context.Background()) == nil {
		t.Skip("a Docker engine answers here; the fallback is not taken")
	}
	t.Setenv(EnvBackend, "")
	st, err := Start(context.Background(), WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Backend() != BackendEmbedded {
		t.Errorf("backend = %s, want embedded", st.Backend())
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

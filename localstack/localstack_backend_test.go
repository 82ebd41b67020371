package localstack

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/facevec/facevec/localstack/container"
)

// TestStartLocalStack needs a Docker engine with LocalStack's image (or a
// registry serving it); it is skipped, saying which is missing, without.
func TestStartLocalStack(t *testing.T) {
	ctx := context.Background()
	if err := container.Probe(ctx, DefaultImage); err != nil {
		t.Skipf("LocalStack cannot run here: %v", err)
	}
	st, err := Start(ctx, WithBackend(BackendLocalStack))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}()
	if st.Backend() != BackendLocalStack || !strings.HasPrefix(st.Endpoint(), "http://") {
		t.Fatalf("backend %s endpoint %q", st.Backend(), st.Endpoint())
	}
	exerciseStack(t, st)
}

// TestStartLocalStackWithoutDocker: asking for LocalStack where no engine
// runs is a clear error, not a panic from the module's Docker lookup.
func TestStartLocalStackWithoutDocker(t *testing.T) {
	if err := container.Probe(context.Background(), DefaultImage); !errors.Is(err, container.ErrNoDocker) {
		t.Skip("a Docker engine answers here")
	}
	st, err := Start(context.Background(), WithBackend(BackendLocalStack), WithLogger(quietLogger()))
	if err == nil {
		st.Close()
		t.Fatal("Start succeeded without Docker")
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), "localstack") || !strings.Contains(err.Error(), DefaultImage) {
		t.Errorf("error %q does not name the backend and the image", err)
	}
}

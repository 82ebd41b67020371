package provision_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/facevec/facevec/internal/lambdazip/lambdaziptest"
	"github.com/facevec/facevec/localstack"
)

// testLogger sends slog output to the test log, so it shows on failure only.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startStack brings up the backend the provisioner tests run on: the
// embedded stand-in, or LocalStack when E2E_BACKEND=localstack. Real AWS is
// never used here (the tests create and delete resources freely).
func startStack(t *testing.T) *localstack.Stack {
	t.Helper()
	b := localstack.BackendEmbedded
	if os.Getenv(localstack.EnvBackend) == string(localstack.BackendLocalStack) {
		b = localstack.BackendLocalStack
	}
	st, err := localstack.Start(context.Background(), localstack.WithBackend(b), localstack.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatalf("start %s stack: %v", b, err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close stack: %v", err)
		}
	})
	return st
}

// lambdaArch is the function architecture matching the marker build: the
// embedded backend runs bootstrap natively, LocalStack in an x86_64 or
// arm64 container of the host's kind.
func lambdaArch() (goarch, arch string) {
	if runtime.GOARCH == "arm64" {
		return "arm64", "arm64"
	}
	return "amd64", "x86_64"
}

var (
	markerMu   sync.Mutex
	markerZips = map[string]string{}
	markerDir  string
)

// markerZip builds testdata/marker with -tags lambda.norpc, stamped with
// build, and packages it as bootstrap in a zip. Builds are cached for the
// test binary's lifetime.
func markerZip(t *testing.T, build string) string {
	t.Helper()
	markerMu.Lock()
	defer markerMu.Unlock()
	if z, ok := markerZips[build]; ok {
		return z
	}
	if markerDir == "" {
		d, err := os.MkdirTemp("", "facevec-marker-")
		if err != nil {
			t.Fatal(err)
		}
		markerDir = d
	}
	zipPath := filepath.Join(markerDir, "marker-"+build+".zip")
	exe := lambdaziptest.BuildFunction(t, "./testdata/marker", "-X main.build="+build)
	if err := os.WriteFile(zipPath, lambdaziptest.Bootstrap(t, exe), 0o644); err != nil {
		t.Fatal(err)
	}
	markerZips[build] = zipPath
	return zipPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if markerDir != "" {
		os.RemoveAll(markerDir)
	}
	os.Exit(code)
}

// eventually polls f until it reports done or the deadline passes; on
// timeout it fails the test with what, the last state and, when given, the
// function's logs at that moment.
func eventually(t *testing.T, st *localstack.Stack, timeout time.Duration, what string, f func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, state := f()
		if done {
			return
		}
		if time.Now().After(deadline) {
			logs := ""
			if st != nil {
				logs = "\nfunction logs:\n" + st.FunctionLogs("marker")
			}
			t.Fatalf("timed out after %v waiting for %s; last state: %s%s", timeout, what, state, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

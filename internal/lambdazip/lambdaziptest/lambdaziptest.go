// Package lambdaziptest makes small, real Lambda packages for tests: a
// static x86_64 executable as bootstrap, built by the Go toolchain that
// runs the test, zipped with chosen modes.
package lambdaziptest

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var built struct {
	sync.Mutex
	exe []byte
}

// StaticExecutable builds an empty Go program with cgo off for
// linux/amd64 (static by construction) and returns its bytes. The build
// runs once per test process.
func StaticExecutable(t testing.TB) []byte {
	t.Helper()
	built.Lock()
	defer built.Unlock()
	if built.exe == nil {
		built.exe = build(t)
	}
	return built.exe
}

func build(t testing.TB) []byte {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"go.mod":  "module bootstrap\n\ngo 1.22\n",
		"main.go": "package main\n\nfunc main() {}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", "bootstrap", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build a static bootstrap: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// BuildFunction builds the Go main package pkg (a path relative to the
// test's directory, e.g. "./testdata/echofn") as a Lambda bootstrap that runs
// on this host: static (cgo off), with the lambda.norpc tag the real
// function uses, stripped; extraLDFlags are appended to -ldflags (e.g.
// "-X main.build=1"). It returns the executable's bytes.
func BuildFunction(t testing.TB, pkg string, extraLDFlags ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bootstrap")
	ldflags := strings.Join(append([]string{"-s", "-w"}, extraLDFlags...), " ")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", ldflags, "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Bootstrap is a package holding exe alone, as bootstrap (0755).
func Bootstrap(t testing.TB, exe []byte) []byte {
	t.Helper()
	return Zip(t, Entry{Name: "bootstrap", Mode: 0o755, Data: exe})
}

// Entry is one file (or, with a trailing "/", directory) of a package.
type Entry struct {
	Name   string
	Mode   os.FileMode
	Data   []byte
	Stored bool // not deflated: the zip is as large as the data
}

// Zip returns a zip of the entries, in order, with their modes.
func Zip(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		hdr := &zip.FileHeader{Name: e.Name, Method: zip.Deflate}
		if e.Stored {
			hdr.Method = zip.Store
		}
		hdr.SetMode(e.Mode)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Package is a good package: the static bootstrap (0755), models/ (0755)
// and one model file (0644) holding tag, so packages of different tests
// differ.
func Package(t testing.TB, tag string) []byte {
	t.Helper()
	return Zip(t,
		Entry{Name: "bootstrap", Mode: 0o755, Data: StaticExecutable(t)},
		Entry{Name: "models/", Mode: os.ModeDir | 0o755},
		Entry{Name: "models/model.dat", Mode: 0o644, Data: []byte(tag)},
	)
}

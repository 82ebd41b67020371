package main

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"testing"

	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/internal/lambdazip"
)

// packageEntry is what the comparison looks at in one zip entry.
type packageEntry struct {
	mode   fs.FileMode
	sha256 string
}

// manifest reads a package's entries by name.
func manifest(t *testing.T, path string) map[string]packageEntry {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer zr.Close()
	m := make(map[string]packageEntry, len(zr.File))
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("%s: %s: %v", path, f.Name, err)
		}
		h := sha256.New()
		_, err = io.Copy(h, rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %s: %v", path, f.Name, err)
		}
		m[f.Name] = packageEntry{mode: f.Mode(), sha256: hex.EncodeToString(h.Sum(nil))}
	}
	return m
}

// TestDockerBuiltPackage holds the zip `make package-docker` built in a
// Debian 12 container (FACEVEC_PACKAGE_DOCKER_ZIP) to what a host build
// promises: lambdazip's checks (modes, quotas, a static x86_64 bootstrap),
// the official models by their SHA-256 plus the HOG detector, and, when
// FACEVEC_PACKAGE_HOST_ZIP names a `make package` zip, the same entries
// with the same modes and the same model bytes as that one. It takes a
// container build to have the zip, so plain `go test` skips it.
func TestDockerBuiltPackage(t *testing.T) {
	dockerZip := os.Getenv("FACEVEC_PACKAGE_DOCKER_ZIP")
	if dockerZip == "" {
		t.Skip("FACEVEC_PACKAGE_DOCKER_ZIP is not set: make package-docker sets it")
	}
	if err := lambdazip.CheckFile(dockerZip); err != nil {
		t.Fatalf("the docker-built package fails the host build's check: %v", err)
	}
	got := manifest(t, dockerZip)
	official := map[string]string{
		"models/" + face.RecognizerFile: face.RecognizerSHA256,
		"models/" + face.ShapeFile:      face.ShapeSHA256,
		"models/" + face.CNNFile:        face.CNNSHA256,
	}
	for name, want := range official {
		if e, ok := got[name]; !ok || e.sha256 != want {
			t.Errorf("%s: SHA-256 %q, want %s", name, e.sha256, want)
		}
	}
	if _, ok := got["models/"+face.HOGFile]; !ok {
		t.Errorf("models/%s is missing", face.HOGFile)
	}

	hostZip := os.Getenv("FACEVEC_PACKAGE_HOST_ZIP")
	if hostZip == "" {
		t.Log("FACEVEC_PACKAGE_HOST_ZIP is not set: not compared with a host-built package")
		return
	}
	if err := lambdazip.CheckFile(hostZip); err != nil {
		t.Fatalf("the host-built package to compare with fails its check: %v", err)
	}
	want := manifest(t, hostZip)
	if g, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)); !slices.Equal(g, w) {
		t.Fatalf("entries differ:\ndocker %v\nhost   %v", g, w)
	}
	for name, w := range want {
		g := got[name]
		if g.mode != w.mode {
			t.Errorf("%s: mode %v in the docker build, %v in the host build", name, g.mode, w.mode)
		}
		if name != "bootstrap" && g.sha256 != w.sha256 {
			t.Errorf("%s: SHA-256 %s in the docker build, %s in the host build", name, g.sha256, w.sha256)
		}
	}
	if got["bootstrap"].sha256 == want["bootstrap"].sha256 {
		t.Log("bootstrap: byte-identical to the host build")
	} else {
		t.Log("bootstrap: differs from the host build (both passed the static check; e.g. the two systems link different versions of the static C libraries)")
	}
}

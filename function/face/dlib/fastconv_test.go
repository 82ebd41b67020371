package dlib

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/facevec/facevec/fixtures"
)

// TestFastConvMatchesDlib holds fast_con, facevec's convolution layer
// (fast_conv.h), to dlib's own con: testdata/fastconv_check.cpp runs both on
// random tensors of every shape the networks use, then runs the mmod CNN and
// the ResNet built with each on fixture photos and compares detections,
// score maps and descriptors.
//
// It builds that program with the system's g++ and dlib (which cgo needs
// anyway), about a minute, cached by the hash of its sources.
func TestFastConvMatchesDlib(t *testing.T) {
	models := modelsDir(t)
	bin := buildFastConvCheck(t)
	dir, err := fixtures.Dir()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, models,
		filepath.Join(dir, "people", "grace hopper.jpg"),
		filepath.Join(dir, "group", "équipe 4.jpg"))
	out, err := cmd.CombinedOutput()
	t.Logf("fastconv_check:\n%s", out)
	if err != nil {
		t.Fatalf("fastconv_check: %v", err)
	}
	if n := strings.Count(string(out), "ok   "); n < 17 {
		t.Fatalf("fastconv_check passed %d checks, want 17", n)
	}
}

// buildFastConvCheck compiles testdata/fastconv_check.cpp into the user's
// cache directory, keyed by the sources, the flags and the compiler, and
// returns the binary's path.
func buildFastConvCheck(t *testing.T) string {
	t.Helper()
	cxx := os.Getenv("CXX")
	if cxx == "" {
		cxx = "g++"
	}
	version, err := exec.Command(cxx, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v (the C++ compiler cgo uses; `make deps` installs it)", cxx, err)
	}
	args := []string{"-O1", "-std=c++14", "-Wno-deprecated-declarations", "-I", "."}
	h := sha256.New()
	h.Write(version)
	h.Write([]byte(strings.Join(args, " ")))
	for _, f := range []string{"testdata/fastconv_check.cpp", "fast_conv.h", "dlib_nets.h"} {
		h.Write(readFile(t, f))
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = t.TempDir()
	}
	bin := filepath.Join(cache, "facevec", "fastconv_check-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := bin + ".tmp" + filepath.Base(t.TempDir())
	args = append(args, "-o", tmp, "testdata/fastconv_check.cpp",
		"-ldlib", "-lopenblas", "-lpng16", "-ljpeg", "-lz", "-lpthread")
	t.Logf("building fastconv_check (about a minute): %s %s", cxx, strings.Join(args, " "))
	if out, err := exec.Command(cxx, args...).CombinedOutput(); err != nil {
		t.Fatalf("build fastconv_check: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

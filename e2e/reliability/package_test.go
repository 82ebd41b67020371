//go:build e2e

package reliability

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/facevec/facevec/localstack/provision"
)

// TestPrivateModelFileFailsAsOnAWS deploys the real package with one model
// file made owner-only (0600, what os.CreateTemp gives and `zip -r` keeps).
// Lambda runs the code as an unprivileged user, so on AWS every cold start
// fails reading it; the embedded Lambda's sandbox must fail the same way,
// and the failure must reach the failure destination, naming the file.
func TestPrivateModelFileFailsAsOnAWS(t *testing.T) {
	private := withEntryMode(t, functionZip(t), "models/frontal_face_detector.dat", 0o600)
	st := newStack(t, stackConfig{maxConcurrency: 1, zip: private,
		spec: provision.Spec{MaxRetryAttempts: aws.Int32(0)}})
	if _, err := st.put(ctxFor(t, time.Minute), "people/private.jpg", fixture(t, "people/grace hopper.jpg")); err != nil {
		t.Fatal(err)
	}
	st.settle(t)
	dead := st.srv.Lambda().DeadLetters()
	if len(dead) != 1 || dead[0].ErrorType != "Runtime.ExitError" {
		t.Fatalf("dead letters %+v, want one Runtime.ExitError (init failed)", dead)
	}
	logs := st.functionLogs()
	if !strings.Contains(logs, `"msg":"init failed"`) ||
		!strings.Contains(logs, "Unable to open /var/task/models/frontal_face_detector.dat for reading") {
		t.Errorf("the function's logs do not show the init failure naming the file:\n%s", logs)
	}
	if keys := st.list(t, prefix); len(keys) != 0 {
		t.Errorf("results written by a function that cannot start: %v", keys)
	}
}

// withEntryMode copies the zip at src with one entry's mode changed.
func withEntryMode(t *testing.T, src, name string, mode os.FileMode) string {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	dst := filepath.Join(t.TempDir(), "function.zip")
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	found := false
	for _, e := range zr.File {
		hdr := e.FileHeader
		if e.Name == name {
			hdr.SetMode(mode)
			found = true
		}
		w, err := zw.CreateRaw(&hdr)
		if err != nil {
			t.Fatal(err)
		}
		r, err := e.OpenRaw()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, r); err != nil {
			t.Fatal(err)
		}
	}
	if !found {
		t.Fatalf("%s has no entry %s", src, name)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

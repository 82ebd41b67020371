package scripts

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// TestShellcheck lints every script here (models, build deps, the
// package-docker build) as deploy's TestShellcheck lints deploy's.
func TestShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("shellcheck is not installed (make deps installs it)")
	}
	files, err := filepath.Glob("*.sh")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts found: %v", err)
	}
	if out, err := exec.Command(sc, append([]string{"-x", "--"}, files...)...).CombinedOutput(); err != nil {
		t.Fatalf("shellcheck: %v\n%s", err, out)
	}
}

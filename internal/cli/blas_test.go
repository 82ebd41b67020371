package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/internal/cli/settings"
	"github.com/facevec/facevec/result"
)

// facevecBinary builds the CLI once per test: OpenBLAS chooses its kernels
// when the process starts, so each setting needs a process of its own.
func facevecBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "facevec")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/facevec").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/facevec: %v\n%s", err, out)
	}
	return bin
}

// encodeIn runs `facevec encode` in its own process with the test's
// environment less every OPENBLAS_ variable, plus env.
func encodeIn(t *testing.T, bin string, env []string, args ...string) (code int, results []result.Result, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"encode", "--models", modelsFlag(t), "--workers", "1"}, args...)...)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "OPENBLAS_") || strings.HasPrefix(kv, settings.EnvBLAS+"=")
	})
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if line == "" {
			continue
		}
		var r result.Result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("stdout line %q: %v", line, err)
		}
		results = append(results, r)
	}
	return code, results, errb.String()
}

// TestEncodeSameVectorsWhateverTheHost: the CLI pins the Lambda's kernel
// set, so a host's OPENBLAS_CORETYPE changes no vector; --blas auto hands
// the choice back to OpenBLAS (and the variable), and a name OpenBLAS does
// not have is an error on stderr.
func TestEncodeSameVectorsWhateverTheHost(t *testing.T) {
	bin := facevecBinary(t)
	photos := []string{fixture(t, "people/grace hopper.jpg"), fixture(t, "group/équipe 4.jpg")}
	_, plain, _ := encodeIn(t, bin, nil, photos...)
	_, sandy, _ := encodeIn(t, bin, []string{"OPENBLAS_CORETYPE=Sandybridge"}, photos...)
	_, auto, _ := encodeIn(t, bin, []string{"OPENBLAS_CORETYPE=Sandybridge"}, append([]string{"--blas", "auto"}, photos...)...)
	if len(plain) != 2 || len(sandy) != 2 || len(auto) != 2 {
		t.Fatalf("results: %d, %d, %d; want 2 each", len(plain), len(sandy), len(auto))
	}
	differs := false
	for i := range plain {
		if plain[i].Model.BLAS != face.DefaultBLAS || sandy[i].Model.BLAS != face.DefaultBLAS || auto[i].Model.BLAS != "Sandybridge" {
			t.Errorf("%s: model.blas %q, %q with OPENBLAS_CORETYPE=Sandybridge, %q with --blas auto; want %s, %s, Sandybridge",
				photos[i], plain[i].Model.BLAS, sandy[i].Model.BLAS, auto[i].Model.BLAS, face.DefaultBLAS, face.DefaultBLAS)
		}
		if len(plain[i].Faces) == 0 || len(plain[i].Faces) != len(sandy[i].Faces) || len(plain[i].Faces) != len(auto[i].Faces) {
			t.Fatalf("%s: %d, %d, %d faces", photos[i], len(plain[i].Faces), len(sandy[i].Faces), len(auto[i].Faces))
		}
		for k := range plain[i].Faces {
			if d := result.Distance(plain[i].Faces[k].Descriptor, sandy[i].Faces[k].Descriptor); d != 0 {
				t.Errorf("%s face %d: OPENBLAS_CORETYPE=Sandybridge moved the vector by %g", photos[i], k, d)
			}
			if result.Distance(plain[i].Faces[k].Descriptor, auto[i].Faces[k].Descriptor) != 0 {
				differs = true
			}
		}
	}
	if !differs {
		t.Error("--blas auto on Sandybridge's kernels gave the pinned vectors bit for bit: the flag did not reach OpenBLAS")
	}

	code, rs, stderr := encodeIn(t, bin, nil, "--blas", "Pentium4000", photos[0])
	if code == 0 || len(rs) != 0 || !strings.Contains(stderr, "--blas Pentium4000") || !strings.Contains(stderr, "unknown OpenBLAS kernel set") {
		t.Errorf("--blas Pentium4000: exit %d, %d results, stderr %q; want an error naming the flag and no results", code, len(rs), stderr)
	}
}

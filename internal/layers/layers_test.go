// Package layers holds the test that keeps the repository's layers apart:
// the product (function/, result/) never imports the harness (localstack/,
// e2e/, fixtures/); the Lambda handler and the CLI's flag code never import
// the cgo encoder; testcontainers-go is linked only by the LocalStack
// container backend and what starts it; the CLI links no Docker client.
package layers

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/facevec/facevec"

// deps returns, for each package matching pattern, its transitive imports
// (go list -deps, test files excluded).
func deps(t *testing.T, patterns ...string) map[string][]string {
	t.Helper()
	args := append([]string{"list", "-json=ImportPath,Deps"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v", patterns, err)
	}
	got := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		got[p.ImportPath] = p.Deps
	}
	if len(got) == 0 {
		t.Fatalf("go list %v matched nothing", patterns)
	}
	return got
}

// forbid fails for every package matching pattern that depends on a
// package with one of the given prefixes.
func forbid(t *testing.T, pattern string, why string, prefixes ...string) {
	t.Helper()
	for pkg, ds := range deps(t, pattern) {
		for _, d := range ds {
			for _, p := range prefixes {
				if d == p || strings.HasPrefix(d, p+"/") {
					t.Errorf("%s imports %s: %s", pkg, d, why)
				}
			}
		}
	}
}

func TestProductNeverImportsTheHarness(t *testing.T) {
	for _, p := range []string{"./function/...", "./result/..."} {
		forbid(t, p, "the product must not depend on the harness or test support",
			module+"/localstack", module+"/e2e", module+"/fixtures", module+"/internal/cli")
	}
}

func TestHandlerAndFlagsArePureGo(t *testing.T) {
	const why = "it must build with CGO_ENABLED=0; only function/main.go and the CLI's encode commands link dlib"
	forbid(t, "./function/handler", why, module+"/function/face/dlib")
	forbid(t, "./function/face", why, module+"/function/face/dlib")
	forbid(t, "./function/face/imagefmt", why, module+"/function/face/dlib")
	forbid(t, "./internal/cli/settings", why, module+"/function/face/dlib")
}

func TestOnlyTheContainerBackendLinksTestcontainers(t *testing.T) {
	const tc = "github.com/testcontainers/testcontainers-go"
	allowed := map[string]bool{module + "/localstack": true, module + "/localstack/container": true}
	for pkg, ds := range deps(t, "./...") {
		if allowed[pkg] || strings.HasPrefix(pkg, module+"/e2e") || strings.HasPrefix(pkg, module+"/deploy") {
			continue
		}
		for _, d := range ds {
			if d == tc || strings.HasPrefix(d, tc+"/") {
				t.Errorf("%s links %s: only localstack/container (and the front door that starts it) may", pkg, d)
				break
			}
		}
	}
	forbid(t, "./cmd/facevec", "the CLI runs only the embedded stack", tc, "github.com/moby/moby", module+"/localstack/container")
}

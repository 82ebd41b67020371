package deploy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The linters are optional tools: where they are installed (cfn-lint from
// pip, shellcheck from apt) they must pass; where not, the tests skip and
// say so.

func lookTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed: %v", name, err)
	}
	return p
}

func runTool(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

// TestCfnLint validates the template against CloudFormation's resource
// schemas, which the structural checks do not know. The broken copy shows
// the linter really reads the file.
func TestCfnLint(t *testing.T) {
	cfnLint := lookTool(t, "cfn-lint")
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	src := strings.Replace(string(readTemplate(t)), "Runtime: provided.al2023", "Runtime: provided.al2099", 1)
	if err := os.WriteFile(broken, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	// One run for all files: cfn-lint's start-up is most of its time.
	// Every region: CloudFormation refuses a template naming a resource
	// type its region lacks (E3006) even under a false condition, so
	// template.yaml must parse in all of them (issue #28: AWS::S3Vectors::*
	// in il-central-1, me-central-1, cn-north-1, …); the nested
	// vectors.yaml is only deployed where S3 Vectors is (deploy.sh checks).
	out, err := runTool(t, cfnLint, "--regions", "ALL_REGIONS", "--", templateFile, broken)
	if strings.Contains(out, templateFile) {
		t.Errorf("cfn-lint finds problems in %s:\n%s", templateFile, out)
	}
	if out, err := runTool(t, cfnLint, "--", vectorsTemplateFile); err != nil {
		t.Errorf("cfn-lint finds problems in %s (%v):\n%s", vectorsTemplateFile, err, out)
	}
	if err == nil || !strings.Contains(out, "provided.al2099") {
		t.Errorf("cfn-lint passed an unknown runtime in the broken copy (err %v):\n%s", err, out)
	}
}

func TestShellcheck(t *testing.T) {
	sc := lookTool(t, "shellcheck")
	files := append([]string{"lib.sh", "testdata/fake-aws"}, scripts...)
	if out, err := runTool(t, sc, append([]string{"-x", "--"}, files...)...); err != nil {
		t.Fatalf("shellcheck: %v\n%s", err, out)
	}
}

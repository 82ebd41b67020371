//go:build e2e

package e2e

import (
	"cmp"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/facevec/facevec/localstack"
	"github.com/facevec/facevec/result"
)

// TestImageServesTheAWSCLI: on the container backend with facevec/stack:dev,
// the function the image deploys by itself at start (faces-in → faces-out)
// serves the stock AWS CLI as the README shows: s3 cp of a photo, then its
// result JSON, the face the golden results hold.
func TestImageServesTheAWSCLI(t *testing.T) {
	s := getSuite(t)
	if s.stack.Backend() != localstack.BackendLocalStack || !strings.HasPrefix(os.Getenv(localstack.EnvImage), "facevec/stack") {
		t.Skip("only against facevec/stack (make e2e-container)")
	}
	awsBin := cmp.Or(strings.TrimSpace(os.Getenv(envAWSCLI)), defaultAWSCLI)
	if _, err := exec.LookPath(awsBin); err != nil {
		t.Skipf("AWS CLI %s not usable (%v)", awsBin, err)
	}
	aws := newAWSCLI(t, awsBin, s.stack.Endpoint(), s.stack.Region())
	const fixture, key = "people/grace hopper.jpg", "readme/photo.jpg"
	aws.run(t, "s3", "cp", filepath.Join(s.cfg.fixturesDir, filepath.FromSlash(fixture)), "s3://faces-in/"+key)
	rkey, _ := result.Key("encodings/", "faces-in", key)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := aws.poll(ctx, 2*time.Minute, "s3api", "head-object", "--bucket", "faces-out", "--key", rkey); err != nil {
		t.Fatalf("no result s3://faces-out/%s: %v", rkey, err)
	}
	r, err := decodeResult(aws.run(t, "s3", "cp", "s3://faces-out/"+rkey, "-"))
	if err != nil {
		t.Fatal(err)
	}
	want := s.golden[fixture]
	if r.Error != nil || len(r.Faces) != len(want.Faces) || r.Faces[0].Box != want.Faces[0].Box {
		t.Errorf("result %+v, want the golden face %+v", r.Faces, want.Faces)
	}
}

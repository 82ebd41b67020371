package localstack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/facevec/facevec/localstack/container"
)

func TestParseBackend(t *testing.T) {
	tests := []struct {
		in      string
		want    Backend
		wantErr bool
	}{
		{"localstack", BackendLocalStack, false},
		{"embedded", BackendEmbedded, false},
		{"aws", BackendAWS, false},
		{" AWS\n", BackendAWS, false},
		{"LocalStack", BackendLocalStack, false},
		{"", "", true},
		{"docker", "", true},
		{"local stack", "", true},
	}
	for _, tt := range tests {
		got, err := ParseBackend(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseBackend(%q) = %q, %v; want %q, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "localstack, embedded, aws") {
			t.Errorf("ParseBackend(%q) error %q does not list the valid backends", tt.in, err)
		}
	}
}

func TestChooseBackend(t *testing.T) {
	const image = "localstack/localstack:4.14.0"
	ready := func(context.Context, string) error { return nil }
	noDocker := func(context.Context, string) error {
		return fmt.Errorf("%w: Cannot connect to the Docker daemon\nat unix:///var/run/docker.sock", container.ErrNoDocker)
	}
	noImage := func(_ context.Context, img string) error {
		return fmt.Errorf("image %s %w (no such host)", img, container.ErrImageUnavailable)
	}
	tests := []struct {
		name       string
		explicit   Backend
		env        string
		probe      imageProbe
		want       Backend
		wantReason string
		wantErr    error
		wantProbe  bool
	}{
		{"option wins over env", BackendAWS, "embedded", noDocker, BackendAWS, "WithBackend", nil, false},
		{"option wins over docker", BackendEmbedded, "", ready, BackendEmbedded, "WithBackend", nil, false},
		{"bad option", "kubernetes", "", ready, "", "WithBackend", nil, false},
		{"env wins over docker", "", "embedded", ready, BackendEmbedded, "E2E_BACKEND=embedded", nil, false},
		{"env localstack with image", "", "localstack", ready, BackendLocalStack, "E2E_BACKEND=localstack", nil, true},
		{"env localstack without docker", "", "localstack", noDocker, "", "", container.ErrNoDocker, true},
		{"env localstack without image", "", "localstack", noImage, "", "", container.ErrImageUnavailable, true},
		{"option localstack without image", BackendLocalStack, "", noImage, "", "", container.ErrImageUnavailable, true},
		{"env normalised", "", " Embedded ", ready, BackendEmbedded, "E2E_BACKEND=embedded", nil, false},
		{"bad env", "", "lokalstack", ready, "", "E2E_BACKEND", nil, false},
		{"blank env means unset", "", "  ", ready, BackendLocalStack, "has image " + image, nil, true},
		{"image present", "", "", ready, BackendLocalStack, "has image " + image, nil, true},
		{"docker absent", "", "", noDocker, BackendEmbedded, "LocalStack cannot run: no Docker engine answered: Cannot connect to the Docker daemon at unix", nil, true},
		{"image absent", "", "", noImage, BackendEmbedded, "LocalStack cannot run: image " + image + " not present and cannot be pulled (no such host)", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probed := false
			probe := func(ctx context.Context, img string) error {
				probed = true
				if img != image {
					t.Errorf("probed image %q, want %q", img, image)
				}
				return tt.probe(ctx, img)
			}
			got, reason, err := chooseBackend(context.Background(), tt.explicit, tt.env, image, probe)
			if probed != tt.wantProbe {
				t.Errorf("probed Docker = %v, want %v", probed, tt.wantProbe)
			}
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if tt.wantErr == container.ErrImageUnavailable && !strings.Contains(err.Error(), image) {
					t.Errorf("error %q does not name the image", err)
				}
				return
			case tt.want == "":
				if err == nil || !strings.Contains(err.Error(), tt.wantReason) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantReason)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if got != tt.want || !strings.Contains(reason, tt.wantReason) {
				t.Errorf("got %q (%q), want %q (reason containing %q)", got, reason, tt.want, tt.wantReason)
			}
		})
	}
}

// TestDockerImageProbeAnswers runs the real probe against whatever engine
// this machine has, for an image no registry serves: it must come back, as
// container.ErrNoDocker or container.ErrImageUnavailable, never panic or block.
func TestDockerImageProbeAnswers(t *testing.T) {
	err := container.Probe(context.Background(), "facevec.invalid/no-such-image:0")
	if !errors.Is(err, container.ErrNoDocker) && !errors.Is(err, container.ErrImageUnavailable) {
		t.Fatalf("probe of an unpullable image = %v, want container.ErrNoDocker or container.ErrImageUnavailable", err)
	}
	t.Logf("probe: %v", err)
}

func TestStartRejectsBadBackendEnv(t *testing.T) {
	t.Setenv(EnvBackend, "mainframe")
	st, err := Start(context.Background())
	if err == nil {
		st.Close()
		t.Fatal("Start succeeded with E2E_BACKEND=mainframe")
	}
	if !strings.Contains(err.Error(), "E2E_BACKEND") || !strings.Contains(err.Error(), "mainframe") {
		t.Errorf("error %q does not name the variable and the value", err)
	}
}

package localstack

import (
	"context"
	"fmt"
	"strings"
	"testing"

	tclocalstack "github.com/testcontainers/testcontainers-go/modules/localstack"
)

func TestPlanImage(t *testing.T) {
	tests := []struct {
		image        string
		wantRun      string
		wantOverride string
		wantErr      string
	}{
		{image: "localstack/localstack:4.14.0", wantRun: "localstack/localstack:4.14.0"},
		{image: "localstack/localstack:4.14", wantRun: "localstack/localstack:4.14"},
		{image: "localstack/localstack:4.14.0-amd64", wantRun: "localstack/localstack:4.14.0-amd64"},
		{image: "localstack/localstack:latest", wantRun: "localstack/localstack:latest"},
		{image: "localstack/localstack-pro:stable", wantRun: "localstack/localstack-pro:stable"},
		{image: "localstack/localstack:2026.1", wantRun: "localstack/localstack:2026.1"},
		// CalVer with a leading zero: not semver, so the module would say "legacy".
		{image: "localstack/localstack:2026.01", wantRun: placeholderImage, wantOverride: "localstack/localstack:2026.01"},
		{image: "localstack/localstack:2026.01.0-arm64", wantRun: placeholderImage, wantOverride: "localstack/localstack:2026.01.0-arm64"},
		{image: "localstack/localstack@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			wantRun: placeholderImage, wantOverride: "localstack/localstack@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{image: "registry.local:5000/localstack", wantRun: placeholderImage, wantOverride: "registry.local:5000/localstack"},
		{image: "localstack/localstack:0.10.7", wantErr: "older than 0.11"},
		{image: "localstack/localstack:0.9", wantErr: "older than 0.11"},
		{image: "  ", wantErr: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			run, override, err := planImage(tt.image)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if run != tt.wantRun || override != tt.wantOverride {
				t.Errorf("planImage = (%q, %q), want (%q, %q)", run, override, tt.wantRun, tt.wantOverride)
			}
			if !moduleAccepts(run) {
				t.Errorf("the image handed to the module (%q) would fail its version check", run)
			}
		})
	}
}

// TestModuleAcceptsMatchesModule checks the mirror against the real
// module: localstack.Run rejects an image before it touches Docker, so for
// every image the mirror rejects, Run must fail with its legacy-mode error.
// For accepted images Run gets a cancelled context and must fail with
// anything but that error (and without starting a container).
func TestModuleAcceptsMatchesModule(t *testing.T) {
	images := []string{
		"localstack/localstack:4.14.0", "localstack/localstack:latest", "localstack/localstack:s3-latest",
		"localstack/localstack:community-archive-amd64", "localstack/localstack:2026.1",
		"localstack/localstack:2026.01", "localstack/localstack:2026.01.0", "localstack/localstack:0.10.0",
		"localstack/localstack@sha256:abcd", "localstack/localstack:v3.0.0-rc1", "localstack/localstack",
	}
	for _, img := range images {
		t.Run(img, func(t *testing.T) {
			legacy := moduleRejects(t, img)
			if legacy == moduleAccepts(img) {
				t.Errorf("moduleAccepts(%q) = %v, but the module's own Run rejected it: %v", img, moduleAccepts(img), legacy)
			}
		})
	}
}

// moduleRejects reports whether tclocalstack.Run fails with its
// legacy-mode version error.
func moduleRejects(t *testing.T, img string) (legacy bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var err error
	func() {
		// Past the version check the module needs Docker and panics
		// without it; that already proves the check passed.
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		var ctr *tclocalstack.LocalStackContainer
		ctr, err = tclocalstack.Run(ctx, img)
		if ctr != nil {
			_ = ctr.Terminate(context.Background())
			t.Errorf("Run with a cancelled context started a container for %s", img)
		}
	}()
	if err == nil {
		t.Fatalf("Run(%s) with a cancelled context succeeded", img)
	}
	return strings.Contains(err.Error(), "legacy mode")
}

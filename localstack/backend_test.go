package localstack

import (
	"context"
	"errors"
	"strings"
	"testing"
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
	healthy := func(context.Context) error { return nil }
	down := func(context.Context) error {
		return errors.New("Cannot connect to the Docker daemon\nat unix:///var/run/docker.sock")
	}
	tests := []struct {
		name       string
		explicit   Backend
		env        string
		probe      dockerProbe
		want       Backend
		wantReason string
		wantErr    string
	}{
		{"option wins over env", BackendAWS, "embedded", down, BackendAWS, "WithBackend", ""},
		{"option wins over docker", BackendEmbedded, "", healthy, BackendEmbedded, "WithBackend", ""},
		{"bad option", "kubernetes", "", healthy, "", "", "WithBackend"},
		{"env wins over docker", "", "embedded", healthy, BackendEmbedded, "E2E_BACKEND=embedded", ""},
		{"env localstack without docker", "", "localstack", down, BackendLocalStack, "E2E_BACKEND=localstack", ""},
		{"env normalised", "", " Embedded ", healthy, BackendEmbedded, "E2E_BACKEND=embedded", ""},
		{"bad env", "", "lokalstack", healthy, "", "", "E2E_BACKEND"},
		{"blank env means unset", "", "  ", healthy, BackendLocalStack, "Docker provider answered", ""},
		{"docker answers", "", "", healthy, BackendLocalStack, "Docker provider answered", ""},
		{"docker absent", "", "", down, BackendEmbedded, "no Docker provider answered: Cannot connect to the Docker daemon at unix", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probed := false
			probe := func(ctx context.Context) error { probed = true; return tt.probe(ctx) }
			got, reason, err := chooseBackend(context.Background(), tt.explicit, tt.env, probe)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || !strings.Contains(reason, tt.wantReason) {
				t.Errorf("got %q (%q), want %q (reason containing %q)", got, reason, tt.want, tt.wantReason)
			}
			if wantProbe := tt.explicit == "" && strings.TrimSpace(tt.env) == ""; probed != wantProbe {
				t.Errorf("probed Docker = %v, want %v", probed, wantProbe)
			}
		})
	}
}

// TestDockerHealthDoesNotPanicOrHang runs the real probe: on this machine
// it usually fails (no engine), elsewhere it succeeds. Either way it must
// return an answer rather than panic or block.
func TestDockerHealthDoesNotPanicOrHang(t *testing.T) {
	err := dockerHealth(context.Background())
	t.Logf("docker health: %v", err)
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

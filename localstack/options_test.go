package localstack

import (
	"testing"
)

func fakeEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigResolution(t *testing.T) {
	tests := []struct {
		name       string
		opts       []Option
		env        map[string]string
		wantImage  string
		wantToken  string
		wantRegion string
	}{
		{
			name:      "defaults",
			wantImage: DefaultImage, wantToken: "", wantRegion: DefaultRegion,
		},
		{
			name:      "env",
			env:       map[string]string{EnvImage: "localstack/localstack:2026.01", EnvAuthToken: "ls-token", "AWS_REGION": "eu-west-1"},
			wantImage: "localstack/localstack:2026.01", wantToken: "ls-token", wantRegion: "eu-west-1",
		},
		{
			name:      "AWS_DEFAULT_REGION is the fallback",
			env:       map[string]string{"AWS_DEFAULT_REGION": "ap-south-1"},
			wantImage: DefaultImage, wantRegion: "ap-south-1",
		},
		{
			name:      "options win",
			opts:      []Option{WithImage("my/localstack:4.14.0"), WithAuthToken("opt-token"), WithRegion("us-west-2")},
			env:       map[string]string{EnvImage: "x/y:1", EnvAuthToken: "env-token", "AWS_REGION": "eu-west-1"},
			wantImage: "my/localstack:4.14.0", wantToken: "opt-token", wantRegion: "us-west-2",
		},
		{
			name:      "empty WithAuthToken suppresses the env token",
			opts:      []Option{WithAuthToken("")},
			env:       map[string]string{EnvAuthToken: "env-token"},
			wantImage: DefaultImage, wantToken: "", wantRegion: DefaultRegion,
		},
		{
			name:      "blank env values are unset",
			env:       map[string]string{EnvImage: "  ", "AWS_REGION": " "},
			wantImage: DefaultImage, wantRegion: DefaultRegion,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newConfig(tt.opts)
			c.getenv = fakeEnv(tt.env)
			if got := c.localstackImage(); got != tt.wantImage {
				t.Errorf("image = %q, want %q", got, tt.wantImage)
			}
			if got := c.localstackAuthToken(); got != tt.wantToken {
				t.Errorf("auth token = %q, want %q", got, tt.wantToken)
			}
			if got := c.emulatedRegion(); got != tt.wantRegion {
				t.Errorf("region = %q, want %q", got, tt.wantRegion)
			}
		})
	}
}

func TestWithContainerEnvMerges(t *testing.T) {
	c := newConfig([]Option{
		WithContainerEnv(map[string]string{"DEBUG": "1"}),
		WithContainerEnv(map[string]string{"LS_LOG": "trace", "DEBUG": "0"}),
		nil, // a nil option is ignored, not a crash
	})
	if c.containerEnv["DEBUG"] != "0" || c.containerEnv["LS_LOG"] != "trace" {
		t.Errorf("containerEnv = %v", c.containerEnv)
	}
	if c.logger == nil {
		t.Error("no default logger")
	}
}

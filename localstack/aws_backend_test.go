package localstack

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// isolateAWSEnv points the SDK's default chain at nothing: no profile
// files, no IMDS, no env credentials.
func isolateAWSEnv(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE":                        filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE":            filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":              "true",
		"AWS_REGION":                             "",
		"AWS_DEFAULT_REGION":                     "",
		"AWS_PROFILE":                            "",
		"AWS_ACCESS_KEY_ID":                      "",
		"AWS_SECRET_ACCESS_KEY":                  "",
		"AWS_SESSION_TOKEN":                      "",
		"AWS_WEB_IDENTITY_TOKEN_FILE":            "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI":     "",
		EnvBackend:                               "",
	} {
		t.Setenv(k, v)
	}
}

func TestStartAWS(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		opts    []Option
		wantErr error
		region  string
	}{
		{name: "no region", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}, wantErr: ErrNoRegion},
		{name: "no credentials", env: map[string]string{"AWS_REGION": "eu-west-1"}, wantErr: ErrNoCredentials},
		{name: "env region and keys", env: map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}, region: "eu-west-1"},
		{name: "option region", env: map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}, opts: []Option{WithRegion("ap-northeast-1")}, region: "ap-northeast-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateAWSEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			opts := append([]Option{WithBackend(BackendAWS), WithLogger(quietLogger())}, tt.opts...)
			st, err := Start(context.Background(), opts...)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				t.Logf("error: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if st.Backend() != BackendAWS || st.Endpoint() != "" || st.Region() != tt.region {
				t.Errorf("backend %s endpoint %q region %q", st.Backend(), st.Endpoint(), st.Region())
			}
			if st.AWSConfig().BaseEndpoint != nil {
				t.Error("aws backend has a BaseEndpoint")
			}
			if st.S3().Options().UsePathStyle {
				t.Error("aws S3 client is path-style")
			}
			if st.Lambda() == nil || st.FunctionLogs("f") != "" {
				t.Error("no Lambda client, or logs for aws")
			}
			if err := st.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

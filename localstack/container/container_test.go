package container

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

func TestLambdaDockerFlags(t *testing.T) {
	tests := []struct {
		labels map[string]string
		want   string
	}{
		{nil, ""},
		{map[string]string{"org.testcontainers.sessionId": "abc123"}, "-l org.testcontainers.sessionId=abc123"},
		{
			map[string]string{"org.testcontainers": "true", "org.testcontainers.sessionId": "s1", "org.testcontainers.lang": "go"},
			"-l org.testcontainers=true -l org.testcontainers.lang=go -l org.testcontainers.sessionId=s1",
		},
		{map[string]string{"note": "two words"}, "-l 'note=two words'"},
		{map[string]string{"q": "it's"}, `-l 'q=it'"'"'s'`},
	}
	for _, tt := range tests {
		if got := lambdaDockerFlags(tt.labels); got != tt.want {
			t.Errorf("lambdaDockerFlags(%v) = %q, want %q", tt.labels, got, tt.want)
		}
	}
}

// TestContainerEnvCarriesSessionLabels uses testcontainers' real generic
// labels, the ones Ryuk filters on.
func TestContainerEnvCarriesSessionLabels(t *testing.T) {
	labels := testcontainers.GenericLabels()
	session := testcontainers.SessionID()
	if session == "" {
		t.Fatal("testcontainers has no session id")
	}
	env := containerEnv("", labels, nil)
	flags := env["LAMBDA_DOCKER_FLAGS"]
	if !strings.Contains(flags, "-l org.testcontainers.sessionId="+session) {
		t.Errorf("LAMBDA_DOCKER_FLAGS %q lacks the session label %s", flags, session)
	}
	for k, v := range labels {
		if !strings.Contains(flags, k+"="+v) {
			t.Errorf("LAMBDA_DOCKER_FLAGS %q lacks label %s=%s", flags, k, v)
		}
	}
	if env["SERVICES"] != "s3,lambda,iam,sts,cloudformation,logs,sqs" {
		t.Errorf("SERVICES = %q", env["SERVICES"])
	}
	if env["LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT"] != "60" {
		t.Errorf("LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT = %q", env["LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT"])
	}
	if _, ok := env[EnvAuthToken]; ok {
		t.Errorf("an empty auth token was forwarded")
	}
}

func TestContainerEnv(t *testing.T) {
	labels := map[string]string{"org.testcontainers.sessionId": "s1"}
	tests := []struct {
		name  string
		token string
		extra map[string]string
		want  map[string]string
	}{
		{
			name:  "token forwarded",
			token: "ls-abc",
			want:  map[string]string{EnvAuthToken: "ls-abc", "LAMBDA_DOCKER_FLAGS": "-l org.testcontainers.sessionId=s1"},
		},
		{
			name:  "extra env overrides defaults",
			extra: map[string]string{"SERVICES": "s3,lambda", "DEBUG": "1", "LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT": "120"},
			want:  map[string]string{"SERVICES": "s3,lambda", "DEBUG": "1", "LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT": "120"},
		},
		{
			name:  "user docker flags kept, labels appended",
			extra: map[string]string{"LAMBDA_DOCKER_FLAGS": " --dns 1.1.1.1 "},
			want:  map[string]string{"LAMBDA_DOCKER_FLAGS": "--dns 1.1.1.1 -l org.testcontainers.sessionId=s1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := containerEnv(tt.token, labels, tt.extra)
			for k, v := range tt.want {
				if env[k] != v {
					t.Errorf("%s = %q, want %q", k, env[k], v)
				}
			}
		})
	}
}

func TestHealthReady(t *testing.T) {
	required := []string{"s3", "lambda"}
	tests := []struct {
		body string
		want bool
	}{
		{`{"services": {"s3": "running", "lambda": "available", "sqs": "disabled"}, "version": "4.14.0"}`, true},
		{`{"services": {"s3": "available", "lambda": "available"}}`, true},
		{`{"services": {"s3": "running", "lambda": "initializing"}}`, false},
		{`{"services": {"s3": "running"}}`, false},
		{`{"services": {"s3": "error", "lambda": "running"}}`, false},
		{`{}`, false},
		{`not json`, false},
		{``, false},
	}
	for _, tt := range tests {
		if got := healthReady(strings.NewReader(tt.body), required); got != tt.want {
			t.Errorf("healthReady(%s) = %v, want %v", tt.body, got, tt.want)
		}
	}
	// Only what the harness cannot do without; facevec/stack:dev serves
	// S3 and Lambda alone.
	if got := requiredServices(map[string]string{"SERVICES": " s3, lambda,,logs "}); strings.Join(got, "|") != "s3|lambda" {
		t.Errorf("requiredServices = %q", got)
	}
	if got := requiredServices(map[string]string{"SERVICES": "sqs,lambda"}); strings.Join(got, "|") != "lambda" {
		t.Errorf("requiredServices = %q", got)
	}
}

func TestLocalStackOptions(t *testing.T) {
	var logs bytes.Buffer
	c := newConfig([]Option{WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))})
	env := containerEnv("tok", map[string]string{"k": "v"}, nil)

	req := testcontainers.GenericContainerRequest{ContainerRequest: testcontainers.ContainerRequest{Image: moduleImage}}
	for _, o := range localstackOptions(c, "localstack/localstack:2026.01", env) {
		if err := o.Customize(&req); err != nil {
			t.Fatal(err)
		}
	}
	if req.Image != "localstack/localstack:2026.01" {
		t.Errorf("image = %q, want the image asked for, not the module's placeholder", req.Image)
	}
	if req.Env[EnvAuthToken] != "tok" || req.Env["LAMBDA_DOCKER_FLAGS"] != "-l k=v" {
		t.Errorf("env = %v", req.Env)
	}
	ms, ok := req.WaitingFor.(*wait.MultiStrategy)
	if !ok || len(ms.Strategies) != 1 {
		t.Fatalf("wait strategy is %T %+v, want one HTTP strategy", req.WaitingFor, req.WaitingFor)
	}
	hs, ok := ms.Strategies[0].(*wait.HTTPStrategy)
	if !ok {
		t.Fatalf("wait strategy is %T, want *wait.HTTPStrategy", ms.Strategies[0])
	}
	if d := hs.Timeout(); d == nil || *d != startupTimeout {
		t.Errorf("startup timeout %v, want %v", d, startupTimeout)
	}
	if hs.Path != "/_localstack/health" || fmt.Sprint(hs.Port) != "4566/tcp" {
		t.Errorf("wait strategy polls %s on %s", hs.Path, hs.Port)
	}
	if hs.ResponseMatcher(strings.NewReader(`{"services":{"s3":"available"}}`)) {
		t.Error("health matcher accepted a response without lambda")
	}
	if req.Logger == nil {
		t.Fatal("no logger set")
	}
	req.Logger.Printf("pulling %s\n", "img")
	if !strings.Contains(logs.String(), "pulling img") || !strings.Contains(logs.String(), "component=testcontainers") {
		t.Errorf("testcontainers log line not routed to slog: %q", logs.String())
	}

}

func TestTail(t *testing.T) {
	src := strings.Repeat("0123456789", 10_000) + "END"
	if got := tail(strings.NewReader(src), 13); got != "0123456789END" {
		t.Errorf("tail = %q", got)
	}
	if got := tail(strings.NewReader("short"), 100); got != "short" {
		t.Errorf("tail = %q", got)
	}
}

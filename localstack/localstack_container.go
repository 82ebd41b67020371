package localstack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclocalstack "github.com/testcontainers/testcontainers-go/modules/localstack"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Container settings for the LocalStack backend.
const (
	// localstackServices: S3 and Lambda are what facevec uses; IAM and STS
	// back the role ARN and caller identity the SDK and Lambda consult;
	// CloudFormation is there for anyone deploying with templates; Logs
	// receives the Lambda output that FunctionLogs reads; SQS is the deploy
	// template's on-failure queue.
	localstackServices = "s3,lambda,iam,sts,cloudformation,logs,sqs"
	// lambdaEnvTimeout (seconds) is how long LocalStack waits for a Lambda
	// runtime to come up. Its default of 20 s is too short for a cold
	// container that loads ~32 MB of dlib models before its first request.
	lambdaEnvTimeout = "60"
	// localstackPort is the edge port every service is served on.
	localstackPort = "4566/tcp"
	// startupTimeout covers LocalStack's own boot, not the image pull.
	startupTimeout = 3 * time.Minute
)

// containerEnv is the LocalStack container's environment. extra (from
// WithContainerEnv) is applied last; an extra LAMBDA_DOCKER_FLAGS is kept and
// the session labels are appended to it, so Ryuk still reaps the Lambda
// containers.
func containerEnv(authToken string, labels, extra map[string]string) map[string]string {
	env := map[string]string{
		"SERVICES":                           localstackServices,
		"LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT": lambdaEnvTimeout,
	}
	if authToken != "" {
		env[EnvAuthToken] = authToken
	}
	maps.Copy(env, extra)
	flags := lambdaDockerFlags(labels)
	if user := strings.TrimSpace(env["LAMBDA_DOCKER_FLAGS"]); user != "" {
		flags = user + " " + flags
	}
	env["LAMBDA_DOCKER_FLAGS"] = strings.TrimSpace(flags)
	return env
}

// lambdaDockerFlags renders labels as "-l key=value" flags for
// LAMBDA_DOCKER_FLAGS. LocalStack starts every Lambda runtime as a sibling
// container on the host's Docker; without testcontainers' session labels
// (org.testcontainers.sessionId in particular) Ryuk would not know they
// belong to this test session and a crashed run would leak them. Keys are
// sorted so the string is stable; LocalStack splits the value shell-style,
// so values are quoted when they contain anything but safe characters.
func lambdaDockerFlags(labels map[string]string) string {
	keys := slices.Sorted(maps.Keys(labels))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, "-l "+shellQuote(k+"="+labels[k]))
	}
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX-shell-style splitter (Python's shlex,
// which LocalStack uses) unless it is made only of safe characters.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.=/:@+,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// essentialServices are the services the harness cannot work without.
var essentialServices = []string{"s3", "lambda"}

// requiredServices is what the health wait must see up: the essential
// services among SERVICES. The others (IAM, STS, Logs, …) are conveniences
// that LocalStack loads on first use, and an image serving only S3 and
// Lambda (facevec/stack:dev) has none of them.
func requiredServices(env map[string]string) []string {
	var out []string
	for s := range strings.SplitSeq(env["SERVICES"], ",") {
		if s = strings.TrimSpace(s); slices.Contains(essentialServices, s) {
			out = append(out, s)
		}
	}
	return out
}

// healthReady reads /_localstack/health and reports whether every required
// service is "available" (loads on first use) or "running". A plain 200 is
// not enough: the gateway answers before the service providers are
// registered.
func healthReady(body io.Reader, required []string) bool {
	var h struct {
		Services map[string]string `json:"services"`
	}
	if err := json.NewDecoder(body).Decode(&h); err != nil {
		return false
	}
	for _, s := range required {
		switch h.Services[s] {
		case "available", "running":
		default:
			return false
		}
	}
	return true
}

// tcLogger routes testcontainers' Printf logging (image pulls, container
// lifecycle) into slog instead of the standard logger's stderr.
type tcLogger struct{ l *slog.Logger }

func (t tcLogger) Printf(format string, v ...any) {
	t.l.Info(strings.TrimSpace(fmt.Sprintf(format, v...)), "component", "testcontainers")
}

// localstackOptions builds the customizers for tclocalstack.Run.
func localstackOptions(c *config, override string, env map[string]string) []testcontainers.ContainerCustomizer {
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithEnv(env),
		// Replaces the module's plain "200 on /_localstack/health" wait.
		// WithWaitStrategy would cap the whole wait at 60 s whatever the
		// strategy's own timeout; a cold LocalStack can take longer.
		testcontainers.WithWaitStrategyAndDeadline(startupTimeout,
			wait.ForHTTP("/_localstack/health").
				WithPort(localstackPort).
				WithResponseMatcher(func(body io.Reader) bool { return healthReady(body, requiredServices(env)) }).
				WithPollInterval(500*time.Millisecond).
				WithStartupTimeout(startupTimeout),
		),
		testcontainers.WithLogger(tcLogger{c.logger}),
	}
	if override != "" {
		// See planImage: applied after the module's version check.
		opts = append(opts, testcontainers.WithImage(override))
	}
	return opts
}

// startLocalStack runs LocalStack in Docker. The module mounts the Docker
// socket into the container (LocalStack needs it to start Lambda runtimes)
// and sets LOCALSTACK_HOST.
func (s *Stack) startLocalStack(ctx context.Context, c *config) (err error) {
	image := c.localstackImage()
	runImage, override, err := planImage(image)
	if err != nil {
		return err
	}
	// Before anything reads testcontainers' configuration (GenericLabels does).
	if err := s.prepareDocker(ctx, c.getenv); err != nil {
		return err
	}
	// Registered first, so it runs last: whatever this run started and did
	// not remove (Lambda containers LocalStack left) goes with the stack.
	s.onClose(func() error {
		return withDocker(context.Background(), func(ctx context.Context, dc *client.Client) error {
			return sweepContainers(ctx, dc, s.log, true)
		})
	})

	labels := testcontainers.GenericLabels()
	maps.Copy(labels, harnessLabels())
	env := containerEnv(c.localstackAuthToken(), labels, c.containerEnv)
	if override != "" {
		s.log.Info("localstack: image tag is not semver; passing a placeholder to the module's version check",
			"image", image, "placeholder", runImage)
	}
	s.log.Info("localstack: starting container", "image", image,
		"auth_token", env[EnvAuthToken] != "", "services", env["SERVICES"])

	// The module panics (MustExtractDockerSocket) when Docker disappears
	// between the probe and here; turn that into an error.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("run LocalStack %s: Docker is not reachable: %v", image, r)
		}
	}()
	opts := append(localstackOptions(c, override, env), testcontainers.WithLabels(harnessLabels()))
	ctr, err := tclocalstack.Run(ctx, runImage, opts...)
	if ctr != nil {
		// Registered before the error check: Run returns the container
		// even when the wait strategy failed, and it must not leak.
		s.onClose(func() error {
			if err := testcontainers.TerminateContainer(ctr); err != nil {
				return fmt.Errorf("terminate LocalStack container: %w", err)
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("run LocalStack %s: %w", image, err)
	}
	endpoint, err := ctr.PortEndpoint(ctx, localstackPort, "http")
	if err != nil {
		return fmt.Errorf("LocalStack endpoint: %w", err)
	}
	s.endpoint = endpoint
	s.containerID = ctr.GetContainerID()
	s.log.Info("localstack: container ready", "container", s.containerID, "endpoint", endpoint)
	s.region = c.emulatedRegion()
	s.cfg = emulatedConfig(endpoint, s.region)
	s.creds = s.cfg.Credentials
	s.logs = func(function string) string {
		return s.localstackLogs(function, ctr)
	}
	return nil
}

// localstackLogs reads the function's CloudWatch Logs group, which LocalStack
// fills with the runtime's output; when that is empty (not invoked yet, or
// the logs service failed) it falls back to the tail of the LocalStack
// container's own log, which at least shows invocation errors.
func (s *Stack) localstackLogs(function string, ctr testcontainers.Container) string {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := filterLogEvents(ctx, nil, s.endpoint, s.region, s.creds, "/aws/lambda/"+function)
	if err == nil && out != "" {
		return out
	}
	if err != nil {
		s.log.Debug("localstack: CloudWatch Logs unavailable, using container log", "function", function, "err", err)
	}
	rc, err := ctr.Logs(ctx)
	if err != nil {
		return ""
	}
	defer rc.Close()
	return "(no CloudWatch Logs for " + function + "; LocalStack container log follows)\n" + tail(rc, containerLogTail)
}

// containerLogTail bounds the fallback log so a long session does not hand
// a test failure message megabytes of text.
const containerLogTail = 256 << 10

// tail returns at most the last n bytes of r.
func tail(r io.Reader, n int) string {
	buf := make([]byte, 0, n)
	chunk := make([]byte, 32<<10)
	for {
		k, err := r.Read(chunk)
		buf = append(buf, chunk[:k]...)
		if len(buf) > n {
			buf = append(buf[:0], buf[len(buf)-n:]...)
		}
		if err != nil {
			return string(buf)
		}
	}
}

package container

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
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
func localstackOptions(c *config, image string, env map[string]string) []testcontainers.ContainerCustomizer {
	return []testcontainers.ContainerCustomizer{
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
		// See moduleImage: the image itself, set after the module's tag check.
		testcontainers.WithImage(image),
		testcontainers.WithLabels(harnessLabels(c.runID)),
	}
}

// Container is a running LocalStack (or an image serving its edge
// interface, such as facevec/stack) started by Run.
type Container struct {
	ctr      testcontainers.Container
	endpoint string
	log      *slog.Logger

	mu      sync.Mutex
	closers []func() error // run last-in first-out
	closed  bool
	err     error
}

// Run starts image in Docker through testcontainers-go's LocalStack module,
// which mounts the Docker socket into the container (LocalStack needs it to
// start Lambda runtimes) and sets LOCALSTACK_HOST, and waits until S3 and
// Lambda report healthy. Before that it decides on the reaper and the host
// address (see prepareDocker) and removes containers of killed runs. On
// error everything it started is removed again. The caller must Close the
// container.
func Run(ctx context.Context, image string, opts ...Option) (ctr *Container, err error) {
	c := newConfig(opts)
	image = strings.TrimSpace(image)
	if image == "" {
		return nil, errors.New("empty LocalStack image name")
	}
	c.runID = newRunID()
	ctr = &Container{log: c.logger}
	defer func() {
		if err != nil {
			if cerr := ctr.Close(); cerr != nil {
				err = errors.Join(err, fmt.Errorf("cleanup after failed start: %w", cerr))
			}
			ctr = nil
		}
	}()
	// Before anything reads testcontainers' configuration (GenericLabels does).
	if err := prepareDocker(ctx, c.getenv, c.logger); err != nil {
		return ctr, err
	}
	// Registered first, so it runs last: whatever this run started and did
	// not remove (Lambda containers LocalStack left) goes with the stack.
	ctr.onClose(func() error {
		return withDocker(context.Background(), func(ctx context.Context, dc *client.Client) error {
			return sweepContainers(ctx, dc, c.logger, true, c.runID)
		})
	})

	labels := testcontainers.GenericLabels()
	maps.Copy(labels, harnessLabels(c.runID))
	env := containerEnv(c.authToken, labels, c.env)
	c.logger.Info("localstack: starting container", "image", image,
		"auth_token", env[EnvAuthToken] != "", "services", env["SERVICES"])

	// The module panics (MustExtractDockerSocket) when Docker disappears
	// between the probe and here; turn that into an error.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("run LocalStack %s: Docker is not reachable: %v", image, r)
		}
	}()
	tc, err := tclocalstack.Run(ctx, moduleImage, localstackOptions(c, image, env)...)
	if tc != nil {
		// Registered before the error check: Run returns the container
		// even when the wait strategy failed, and it must not leak.
		ctr.ctr = tc
		ctr.onClose(func() error {
			if err := testcontainers.TerminateContainer(tc); err != nil {
				return fmt.Errorf("terminate LocalStack container: %w", err)
			}
			return nil
		})
	}
	if err != nil {
		return ctr, fmt.Errorf("run LocalStack %s: %w", image, err)
	}
	if ctr.endpoint, err = tc.PortEndpoint(ctx, localstackPort, "http"); err != nil {
		return ctr, fmt.Errorf("LocalStack endpoint: %w", err)
	}
	c.logger.Info("localstack: container ready", "container", tc.GetContainerID(), "endpoint", ctr.endpoint)
	return ctr, nil
}

// Endpoint is the edge endpoint's base URL on the host, e.g. http://localhost:32768.
func (c *Container) Endpoint() string { return c.endpoint }

// ID is the container's id.
func (c *Container) ID() string {
	if c.ctr == nil {
		return ""
	}
	return c.ctr.GetContainerID()
}

// Log returns the tail of the container's own log (at most containerLogTail
// bytes), which shows LocalStack's invocation errors; "" when it cannot be read.
func (c *Container) Log(ctx context.Context) string {
	if c.ctr == nil {
		return ""
	}
	rc, err := c.ctr.Logs(ctx)
	if err != nil {
		return ""
	}
	defer rc.Close()
	return tail(rc, containerLogTail)
}

func (c *Container) onClose(f func() error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closers = append(c.closers, f)
}

// Close terminates the container and removes whatever this run left with
// the harness's labels (Lambda containers LocalStack started), in reverse
// order of starting. It is idempotent; later calls return the first error.
func (c *Container) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return c.err
	}
	c.closed = true
	var errs []error
	for i := len(c.closers) - 1; i >= 0; i-- {
		if err := c.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	c.closers = nil
	c.err = errors.Join(errs...)
	return c.err
}

// containerLogTail bounds the log so a long session does not hand a test
// failure message megabytes of text.
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

// newRunID names one Run among the process's (LabelRun).
func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

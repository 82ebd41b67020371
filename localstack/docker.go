package localstack

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// dockerProbeTimeout bounds every question the harness asks Docker before it
// starts anything, so that a wedged socket or a registry that does not answer
// degrades to the embedded backend (or a clear error) instead of a hang.
const dockerProbeTimeout = 10 * time.Second

// Why the LocalStack backend cannot start; Start returns them wrapped when
// that backend is forced, and logs them when it falls back to embedded.
var (
	ErrNoDocker         = errors.New("no Docker engine answered")
	ErrImageUnavailable = errors.New("not present and cannot be pulled")
)

// imageProbe reports whether a Docker engine answers and has image, or can
// pull it; nil means the LocalStack backend can start. The error says which
// of the two failed, for the log line that explains the backend choice.
type imageProbe func(ctx context.Context, image string) error

// dockerClient opens a client for the engine in DOCKER_HOST (default: the
// local socket) straight through the Docker SDK, not testcontainers, because
// testcontainers reads its configuration once per process and the reaper
// decision (reaperPolicy) must be made before that happens. When that engine
// does not answer, testcontainers' own discovery (Docker Desktop and rootless
// sockets, ~/.testcontainers.properties) gets a second chance.
func dockerClient(ctx context.Context) (*client.Client, error) {
	c, err := envDockerClient(ctx)
	if err == nil {
		return c, nil
	}
	tc, tcErr := discoveredClient(ctx)
	if tcErr != nil {
		return nil, fmt.Errorf("%w: %s; %s", ErrNoDocker, oneLine(err.Error()), oneLine(tcErr.Error()))
	}
	return tc, nil
}

// envDockerClient is a client for DOCKER_HOST (default: the local socket)
// that answered a ping.
func envDockerClient(ctx context.Context) (*client.Client, error) {
	c, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, err
	}
	if _, err := c.Ping(ctx, client.PingOptions{}); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// discoveredClient is testcontainers' client; it panics in a few detection
// paths (MustExtractDockerHost), which must never crash the caller.
func discoveredClient(ctx context.Context) (c *client.Client, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("docker provider panicked: %v", r)
		}
	}()
	dc, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, err
	}
	return dc.Client, nil
}

// imageAvailable says whether the engine has ref, or its registry answers
// for it (a manifest lookup, not a pull: LocalStack is about 1 GB).
func imageAvailable(ctx context.Context, c *client.Client, ref string) error {
	if _, err := c.ImageInspect(ctx, ref); err == nil {
		return nil
	}
	if _, err := c.DistributionInspect(ctx, ref, client.DistributionInspectOptions{}); err != nil {
		return fmt.Errorf("image %s %w (%s)", ref, ErrImageUnavailable, oneLine(err.Error()))
	}
	return nil
}

// withDocker runs f with a client (dockerClient) and a context bounded by
// dockerProbeTimeout.
func withDocker(ctx context.Context, f func(context.Context, *client.Client) error) error {
	ctx, cancel := context.WithTimeout(ctx, dockerProbeTimeout)
	defer cancel()
	c, err := dockerClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return f(ctx, c)
}

// dockerImageProbe is the imageProbe used outside tests.
func dockerImageProbe(ctx context.Context, image string) error {
	return withDocker(ctx, func(ctx context.Context, c *client.Client) error {
		return imageAvailable(ctx, c, image)
	})
}

// ProbeLocalStack reports whether the LocalStack backend can start with
// these options (the image from WithImage, FACEVEC_LOCALSTACK_IMAGE or
// DefaultImage): nil, or an error wrapping ErrNoDocker or
// ErrImageUnavailable. Tests that need LocalStack itself skip on it.
func ProbeLocalStack(ctx context.Context, opts ...Option) error {
	c := newConfig(opts)
	probe := c.probe
	if probe == nil {
		probe = dockerImageProbe
	}
	return probe(ctx, c.localstackImage())
}

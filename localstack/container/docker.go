package container

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
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
	c, err := client.New(client.FromEnv) // negotiates the API version by default
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

// Probe reports whether image can run here: nil, or an error wrapping
// ErrNoDocker (no engine answers) or ErrImageUnavailable (the engine has
// neither the image nor a registry that serves it).
func Probe(ctx context.Context, image string) error {
	return withDocker(ctx, func(ctx context.Context, c *client.Client) error {
		return imageAvailable(ctx, c, image)
	})
}

// EnvHostOverride is testcontainers' setting for the host its containers'
// ports are reached at.
const EnvHostOverride = "TESTCONTAINERS_HOST_OVERRIDE"

// hostPolicy sets TESTCONTAINERS_HOST_OVERRIDE=localhost when
// testcontainers would take this process for one inside a container (a
// /.dockerenv file, left in machine images built from Docker images) while
// it runs on the Docker host itself: testcontainers then reaches mapped
// ports at the default gateway, which is not this host, and every wait
// times out. "On the host" means the default bridge's gateway address is
// one of this process's own interfaces, which is never so inside a
// container (unless it shares the host's network, where localhost works
// too). A value the user set is left alone. It returns a reason when
// it set the override.
func hostPolicy(ctx context.Context, c *client.Client, getenv func(string) string) string {
	if getenv(EnvHostOverride) != "" {
		return ""
	}
	if _, err := os.Stat("/.dockerenv"); err != nil {
		return ""
	}
	if !strings.HasPrefix(c.DaemonHost(), "unix://") {
		return ""
	}
	bridge, err := c.NetworkInspect(ctx, "bridge", client.NetworkInspectOptions{})
	if err != nil {
		return ""
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, cfg := range bridge.Network.IPAM.Config {
		gwAddr := cfg.Gateway
		if !gwAddr.IsValid() && cfg.Subnet.IsValid() {
			// Older engines leave Gateway out: Docker gives the bridge
			// the subnet's first address.
			gwAddr = cfg.Subnet.Masked().Addr().Next()
		}
		gw := gwAddr.String()
		for _, a := range addrs {
			if ip, _, err := net.ParseCIDR(a.String()); err == nil && ip.String() == gw {
				if err := os.Setenv(EnvHostOverride, "localhost"); err != nil {
					return ""
				}
				return "/.dockerenv exists, but the Docker bridge's gateway " + gw + " is an address of this host: ports are reached at localhost"
			}
		}
	}
	return ""
}

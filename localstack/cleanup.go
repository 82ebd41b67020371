package localstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// Labels the harness puts on every container it starts: the LocalStack
// container, and through LAMBDA_DOCKER_FLAGS the Lambda containers LocalStack
// starts for it. They let the harness clean up after itself where Ryuk, the
// testcontainers reaper, cannot run (its image cannot be pulled).
const (
	// LabelHarness marks a container as the harness's.
	LabelHarness = "io.facevec.harness"
	// LabelOwner names the process that started it: host/pid/start-time.
	LabelOwner = "io.facevec.harness.owner"
)

// EnvRyukDisabled is testcontainers' switch for its reaper.
const EnvRyukDisabled = "TESTCONTAINERS_RYUK_DISABLED"

// harnessLabels are the labels for containers this process starts.
func harnessLabels() map[string]string {
	return map[string]string{LabelHarness: "localstack", LabelOwner: selfOwner()}
}

func selfOwner() string {
	host, _ := os.Hostname()
	pid := os.Getpid()
	return host + "/" + strconv.Itoa(pid) + "/" + processStart(pid)
}

// processStart is a process's start time in clock ticks since boot (field 22
// of /proc/PID/stat), so that a reused pid is not taken for the owner; ""
// where /proc cannot tell.
func processStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// ownerGone reports whether the owner label names a process of this host
// that no longer runs. A container of another host, or with a label it
// cannot read, is never taken for an orphan: its owner may be alive.
func ownerGone(owner string) bool {
	host, rest, ok := strings.Cut(owner, "/")
	pidText, start, ok2 := strings.Cut(rest, "/")
	pid, err := strconv.Atoi(pidText)
	if me, _ := os.Hostname(); !ok || !ok2 || err != nil || pid <= 0 || host != me {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return true
	}
	now := processStart(pid)
	return start != "" && now != "" && now != start
}

// removeContainers force-removes the harness's containers that match: with
// own, those of this process (the end of a run); otherwise those whose owner
// is gone (a run killed before it could clean up). It returns their ids.
func removeContainers(ctx context.Context, c *client.Client, own bool) ([]string, error) {
	list, err := c.ContainerList(ctx, client.ContainerListOptions{
		All: true, Filters: make(client.Filters).Add("label", LabelHarness),
	})
	if err != nil {
		return nil, fmt.Errorf("list harness containers: %w", err)
	}
	self := selfOwner()
	var removed []string
	var errs []error
	for _, ctr := range list.Items {
		owner := ctr.Labels[LabelOwner]
		if own && owner != self || !own && (owner == self || !ownerGone(owner)) {
			continue
		}
		if _, err := c.ContainerRemove(ctx, ctr.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			errs = append(errs, fmt.Errorf("remove container %.12s: %w", ctr.ID, err))
			continue
		}
		removed = append(removed, ctr.ID)
	}
	return removed, errors.Join(errs...)
}

// sweepContainers removes what removeContainers matches and logs it.
func sweepContainers(ctx context.Context, log *slog.Logger, own bool) error {
	return withDocker(ctx, func(ctx context.Context, c *client.Client) error {
		removed, err := removeContainers(ctx, c, own)
		if len(removed) > 0 {
			what := "containers left by runs that ended without cleaning up"
			if own {
				what = "containers of this run still present at close"
			}
			log.Info("localstack: removed "+what, "count", len(removed), "ids", shortIDs(removed))
		}
		return err
	})
}

func shortIDs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id[:min(12, len(id))]
	}
	return out
}

// reaperPolicy turns Ryuk off for this process when its image is neither
// present nor pullable; otherwise every container start would fail trying to
// pull it. The harness's own labels and sweeps then do Ryuk's work: at start
// (containers of killed runs) and at close. It must run before anything reads
// testcontainers' configuration, which happens once per process; a value the
// user set is left alone. It returns a reason when it disabled the reaper.
func reaperPolicy(ctx context.Context, getenv func(string) string) (string, error) {
	if getenv(EnvRyukDisabled) != "" {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, dockerProbeTimeout)
	defer cancel()
	// Not dockerClient: its fallback reads testcontainers' configuration.
	c, err := envDockerClient(ctx)
	if err != nil {
		return "", nil // nothing to decide with; testcontainers' defaults stand
	}
	defer c.Close()
	avail := imageAvailable(ctx, c, testcontainers.ReaperDefaultImage)
	if avail == nil {
		return "", nil
	}
	if err := os.Setenv(EnvRyukDisabled, "true"); err != nil {
		return "", err
	}
	return oneLine(avail.Error()), nil
}

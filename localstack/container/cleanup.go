package container

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/facevec/facevec/localstack/internal/owner"
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
	// LabelRun names the Run that started it, so that closing one stack
	// never removes another stack's containers in the same process.
	LabelRun = "io.facevec.harness.run"
)

// EnvRyukDisabled is testcontainers' switch for its reaper.
const EnvRyukDisabled = "TESTCONTAINERS_RYUK_DISABLED"

// harnessLabels are the labels for containers this process starts; run,
// when set, is the Run they belong to.
func harnessLabels(run string) map[string]string {
	l := map[string]string{LabelHarness: "localstack", LabelOwner: owner.Self()}
	if run != "" {
		l[LabelRun] = run
	}
	return l
}

// removeContainers force-removes the harness's containers that match: with
// own, those of this process (the end of a run), and of that run alone when
// run is set; otherwise those whose owner is gone (a run killed before it
// could clean up). It returns their ids.
func removeContainers(ctx context.Context, c *client.Client, own bool, run string) ([]string, error) {
	list, err := c.ContainerList(ctx, client.ContainerListOptions{
		All: true, Filters: make(client.Filters).Add("label", LabelHarness),
	})
	if err != nil {
		return nil, fmt.Errorf("list harness containers: %w", err)
	}
	self := owner.Self()
	var removed []string
	var errs []error
	for _, ctr := range list.Items {
		by := ctr.Labels[LabelOwner]
		if own && (by != self || run != "" && ctr.Labels[LabelRun] != run) || !own && (by == self || !owner.Gone(by)) {
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
func sweepContainers(ctx context.Context, c *client.Client, log *slog.Logger, own bool, run string) error {
	removed, err := removeContainers(ctx, c, own, run)
	if len(removed) > 0 {
		what := "containers left by runs that ended without cleaning up"
		if own {
			what = "containers of this run still present at close"
		}
		log.Info("localstack: removed "+what, "count", len(removed), "ids", shortIDs(removed))
	}
	return err
}

// prepareDocker does, with one client for the engine in DOCKER_HOST, what
// must come before testcontainers reads its configuration (the reaper and
// host decisions), and removes the containers of runs that were killed.
// Without that engine testcontainers' own discovery may still find one;
// its defaults then stand.
func prepareDocker(ctx context.Context, getenv func(string) string, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, dockerProbeTimeout)
	defer cancel()
	// Not dockerClient: its fallback reads testcontainers' configuration.
	c, err := envDockerClient(ctx)
	if err != nil {
		return nil
	}
	defer c.Close()
	if why, err := reaperPolicy(ctx, c, getenv); err != nil {
		return fmt.Errorf("reaper: %w", err)
	} else if why != "" {
		log.Warn("localstack: Ryuk disabled (TESTCONTAINERS_RYUK_DISABLED=true); the harness removes its own containers",
			"reason", why, "label", LabelHarness)
	}
	if why := hostPolicy(ctx, c, getenv); why != "" {
		log.Info("localstack: "+EnvHostOverride+"=localhost", "reason", why)
	}
	if err := sweepContainers(ctx, c, log, false, ""); err != nil {
		log.Warn("localstack: could not remove containers of earlier runs", "err", err)
	}
	return nil
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
func reaperPolicy(ctx context.Context, c *client.Client, getenv func(string) string) (string, error) {
	if getenv(EnvRyukDisabled) != "" {
		return "", nil
	}
	// Deprecated in testcontainers, but the same value as its internal one;
	// a removal would fail the build, not drift silently.
	avail := imageAvailable(ctx, c, testcontainers.ReaperDefaultImage)
	if avail == nil {
		return "", nil
	}
	if err := os.Setenv(EnvRyukDisabled, "true"); err != nil {
		return "", err
	}
	return oneLine(avail.Error()), nil
}

package container

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// envChildContainer makes the test binary, run as a child, start one
// container with the harness's labels and then wait to be killed.
const envChildContainer = "FACEVEC_TEST_CHILD_CONTAINER"

// TestKilledRunLeavesNothingTheNextRunKeeps: a run killed with SIGKILL (no
// Close, no Ryuk) leaves its container; the next run's start-time sweep
// removes it, and leaves alone a container whose owner is alive.
func TestKilledRunLeavesNothingTheNextRunKeeps(t *testing.T) {
	if image := os.Getenv(envChildContainer); image != "" {
		childStartsContainer(image)
		return
	}
	ctx := context.Background()
	c := requireDocker(t)
	image := sleeperImage(t, c)

	// This process's own container: alive owner, must survive the sweep.
	mine := runLabeled(t, image)

	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledRunLeavesNothingTheNextRunKeeps$", "-test.v")
	cmd.Env = append(os.Environ(), envChildContainer+"="+image)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var orphan string
	var seen strings.Builder
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		seen.WriteString(sc.Text() + "\n")
		if id, ok := strings.CutPrefix(sc.Text(), "container: "); ok {
			orphan = id
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if orphan == "" {
		t.Fatalf("the child started no container:\n%s", seen.String())
	}
	if !containerExists(t, c, orphan) {
		t.Fatalf("container %s of the killed run is already gone; the test proves nothing", orphan)
	}

	removed, err := removeContainers(ctx, c, false, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != orphan {
		t.Errorf("start-time sweep removed %v, want only the killed run's %s", removed, orphan)
	}
	if containerExists(t, c, orphan) {
		t.Errorf("container %s of the killed run is still there", orphan)
	}
	if !containerExists(t, c, mine) {
		t.Fatalf("the sweep removed container %s of a live run", mine)
	}

	// The end-of-run sweep takes this process's own.
	removed, err = removeContainers(ctx, c, true, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != mine || containerExists(t, c, mine) {
		t.Errorf("close sweep removed %v, want this run's %s", removed, mine)
	}
}

// childStartsContainer runs in the child process: the reaper is off (as the
// harness sets it where Ryuk cannot be pulled), one labelled container is
// started through testcontainers, its id printed, and then nothing happens
// until the parent kills the process.
func childStartsContainer(image string) {
	os.Setenv(EnvRyukDisabled, "true")
	ctx := context.Background()
	ctr, err := testcontainers.Run(ctx, image, testcontainers.WithLabels(harnessLabels("")))
	if err != nil {
		os.Stdout.WriteString("child: " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString("container: " + ctr.GetContainerID() + "\n")
	time.Sleep(time.Minute)
	os.Exit(3)
}

// runLabeled starts a container of image with this process's harness labels
// (and run's, when given).
func runLabeled(t *testing.T, image string, run ...string) string {
	t.Helper()
	t.Setenv(EnvRyukDisabled, "true")
	ctr, err := testcontainers.Run(context.Background(), image, testcontainers.WithLabels(harnessLabels(strings.Join(run, ""))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = testcontainers.TerminateContainer(ctr) })
	return ctr.GetContainerID()
}

func containerExists(t *testing.T, c *client.Client, id string) bool {
	t.Helper()
	_, err := c.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	return err == nil
}

// requireDocker is a client for the local engine; the test is skipped where
// none answers (a developer's laptop without Docker).
func requireDocker(t *testing.T) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dockerProbeTimeout)
	defer cancel()
	c, err := dockerClient(ctx)
	if errors.Is(err, ErrNoDocker) {
		t.Skipf("no Docker engine: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// sleeperImage builds testdata/sleeper into a FROM scratch image, which
// needs nothing from a registry.
func sleeperImage(t *testing.T, c *client.Client) string {
	t.Helper()
	const tag = "facevec-test/sleeper:dev"
	bin := filepath.Join(t.TempDir(), "sleeper")
	build := exec.Command("go", "build", "-o", bin, "./testdata/sleeper")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build sleeper: %v\n%s", err, out)
	}
	binary, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var ctxTar bytes.Buffer
	tw := tar.NewWriter(&ctxTar)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{
		{"Dockerfile", 0o644, []byte("FROM scratch\nCOPY sleeper /sleeper\nENTRYPOINT [\"/sleeper\"]\n")},
		{"sleeper", 0o755, binary},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	res, err := c.ImageBuild(context.Background(), &ctxTar, client.ImageBuildOptions{Tags: []string{tag}, Remove: true})
	if err != nil {
		t.Fatalf("build %s: %v", tag, err)
	}
	defer res.Body.Close()
	msgs, _ := io.ReadAll(res.Body)
	if bytes.Contains(msgs, []byte(`"error"`)) {
		t.Fatalf("build %s: %s", tag, msgs)
	}
	return tag
}

// TestCloseRemovesOnlyItsRun: two stacks in one process (the e2e suite's
// main and backfill stacks); closing one must not remove the other's
// containers, as the close sweep did when it matched the process alone.
func TestCloseRemovesOnlyItsRun(t *testing.T) {
	c := requireDocker(t)
	image := sleeperImage(t, c)
	a := runLabeled(t, image, "run-a")
	b := runLabeled(t, image, "run-b")
	ctx, cancel := context.WithTimeout(context.Background(), dockerProbeTimeout)
	defer cancel()
	if _, err := removeContainers(ctx, c, true, "run-a"); err != nil {
		t.Fatal(err)
	}
	if containerExists(t, c, a) {
		t.Error("run-a's container survived its own close")
	}
	if !containerExists(t, c, b) {
		t.Error("closing run-a removed run-b's container")
	}
}

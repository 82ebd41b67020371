package scripts

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// buildDeps runs build-deps.sh on an os-release text with the given gcc
// version on PATH ("" = no gcc), and returns the packages, stderr and
// whether it succeeded.
func buildDeps(t *testing.T, osRelease, gccVersion string) ([]string, string, bool) {
	t.Helper()
	dir := t.TempDir()
	rel := filepath.Join(dir, "os-release")
	if err := os.WriteFile(rel, []byte(osRelease), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// Only what the script needs: bash, cut; gcc when given.
	for _, tool := range []string{"bash", "cut"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s: %v", tool, err)
		}
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	if gccVersion != "" {
		if err := os.WriteFile(filepath.Join(bin, "gcc"), []byte("#!/bin/sh\necho "+gccVersion+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(filepath.Join(bin, "bash"), "build-deps.sh", rel)
	cmd.Env = []string{"PATH=" + bin}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return strings.Fields(stdout.String()), stderr.String(), err == nil
}

const (
	debian12 = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n"
	ubuntu24 = "PRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"24.04\"\n"
	ubuntu22 = "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\n"
	fedora40 = "PRETTY_NAME=\"Fedora Linux 40 (Workstation Edition)\"\nID=fedora\nVERSION_ID=40\n"
)

// TestBuildDepsNamesEachDistributionsPackages: make deps asks for
// packages by the host's own names (issue #18: it used Debian's names on
// Ubuntu, where libjpeg62-turbo-dev and, on 24.04, awscli do not exist).
func TestBuildDepsNamesEachDistributionsPackages(t *testing.T) {
	cases := []struct {
		name, release, gcc string
		want, wantNot      []string
	}{
		{"debian 12", debian12, "12", []string{"libdlib-dev", "libjpeg62-turbo-dev", "libgfortran-12-dev", "awscli", "shellcheck"}, []string{"libjpeg-turbo8-dev"}},
		{"ubuntu 24.04", ubuntu24, "13", []string{"libdlib-dev", "libjpeg-turbo8-dev", "libgfortran-13-dev"}, []string{"libjpeg62-turbo-dev", "awscli", "libgfortran-12-dev"}},
		{"ubuntu 22.04", ubuntu22, "11", []string{"libjpeg-turbo8-dev", "libgfortran-11-dev"}, []string{"libjpeg62-turbo-dev", "awscli"}},
		// gfortran's runtime follows the gcc that links, not the release.
		{"debian 12, gcc 13", debian12, "13.2.0", []string{"libgfortran-13-dev"}, []string{"libgfortran-12-dev"}},
		{"ubuntu 24.04, no gcc yet", ubuntu24, "", []string{"libgfortran-13-dev"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pkgs, stderr, ok := buildDeps(t, c.release, c.gcc)
			if !ok {
				t.Fatalf("build-deps.sh failed: %s", stderr)
			}
			for _, w := range c.want {
				if !slices.Contains(pkgs, w) {
					t.Errorf("packages %v lack %s", pkgs, w)
				}
			}
			for _, w := range c.wantNot {
				if slices.Contains(pkgs, w) {
					t.Errorf("packages %v include %s, which is not this distribution's name", pkgs, w)
				}
			}
		})
	}
}

func TestBuildDepsRefusesOtherHosts(t *testing.T) {
	_, stderr, ok := buildDeps(t, fedora40, "14")
	if ok || !strings.Contains(stderr, "Fedora Linux 40 (Workstation Edition) is not a supported build host") ||
		!strings.Contains(stderr, "make package-docker") {
		t.Fatalf("ok %v, stderr %q: want a refusal naming the host and make package-docker", ok, stderr)
	}
	_, stderr, ok = buildDeps(t, "", "12")
	if ok || !strings.Contains(stderr, "not a supported build host") {
		t.Fatalf("empty os-release: ok %v, stderr %q", ok, stderr)
	}
}

// TestBuildDepsDebianNamesExist: on a Debian 12 host (this one), apt
// knows every name the script gives.
func TestBuildDepsDebianNamesExist(t *testing.T) {
	rel, err := os.ReadFile("/etc/os-release")
	if err != nil || !strings.Contains(string(rel), "ID=debian") || !strings.Contains(string(rel), `VERSION_ID="12"`) {
		t.Skip("not a Debian 12 host")
	}
	aptCache, err := exec.LookPath("apt-cache")
	if err != nil {
		t.Skip("no apt-cache")
	}
	gcc, _ := exec.Command("gcc", "-dumpversion").Output()
	pkgs, stderr, ok := buildDeps(t, string(rel), strings.TrimSpace(string(gcc)))
	if !ok {
		t.Fatalf("build-deps.sh failed: %s", stderr)
	}
	out, err := exec.Command(aptCache, append([]string{"show", "--no-all-versions"}, pkgs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("apt-cache show %v: %v\n%s", pkgs, err, out)
	}
}

package lambdasvc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// An environment's /tmp is Lambda's ephemeral storage: its own file system
// of EphemeralStorage.Size, not memory. A tmpfs would be the easy way, but
// its pages are charged to the memory cgroup of whoever writes them, so
// 300 MiB in /tmp killed a 128 MB function with Runtime.OutOfMemory. So,
// with root, /tmp is an ext4 file system in a sparse image file of exactly
// that size on the stack's disk, attached to a loop device: writes past it
// fail with ENOSPC, and what is written is page cache the kernel can write
// back and reclaim, never a reason for the OOM killer. The image is made
// per environment (about 50 ms with mkfs.ext4's lazy init) and removed
// with it; the loop device detaches by itself (autoclear) when the
// environment's mount namespace goes. Without mkfs.ext4 or loop devices,
// /tmp is a plain directory on the stack's disk, uncapped, and the sandbox
// warns.

// tmpImageSuffix and tmpDirSuffix name an environment's /tmp image or
// directory, next to its root mount point.
const (
	tmpImageSuffix = ".tmp.img"
	tmpDirSuffix   = ".tmp"
)

// findMkfs returns mkfs.ext4's path (root's PATH may lack the sbin
// directories).
func findMkfs() (string, error) {
	if p, err := exec.LookPath("mkfs.ext4"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("mkfs.ext4 not found (package e2fsprogs)")
}

// makeTmpImage creates path as a sparse ext4 image of size bytes whose
// root directory is /tmp's (mode 1777 is set once mounted).
func makeTmpImage(mkfs, path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return err
	}
	// No journal (scratch space), lazy inode tables, no reserved blocks:
	// fast to make, and all of it usable.
	out, err := exec.Command(mkfs, "-q", "-F", "-m", "0", "-O", "^has_journal",
		"-E", "lazy_itable_init=1,root_owner=0:0", path).CombinedOutput()
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("%s: %w: %s", mkfs, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// mountTmpImage attaches image to a free loop device and mounts it on
// target as /tmp. It runs in the environment's init (root, its own mount
// namespace).
func mountTmpImage(image, target string) error {
	img, err := os.OpenFile(image, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer img.Close()
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer ctl.Close()
	for range 32 { // another environment may take the free device first
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return fmt.Errorf("find a free loop device: %w", err)
		}
		dev := "/dev/loop" + strconv.Itoa(n)
		loop, err := os.OpenFile(dev, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		err = attachLoop(int(loop.Fd()), int(img.Fd()))
		if errors.Is(err, unix.EBUSY) {
			loop.Close()
			continue
		}
		if err != nil {
			loop.Close()
			return fmt.Errorf("attach %s: %w", dev, err)
		}
		err = unix.Mount(dev, target, "ext4", unix.MS_NOSUID|unix.MS_NODEV, "")
		loop.Close() // autoclear: detached once unmounted (or now, if the mount failed)
		if err != nil {
			return fmt.Errorf("mount %s: %w", dev, err)
		}
		// A fresh /tmp, as on Lambda: no lost+found, writable by all.
		_ = os.Remove(filepath.Join(target, "lost+found"))
		return os.Chmod(target, 0o777|os.ModeSticky)
	}
	return errors.New("no free loop device")
}

// attachLoop backs the loop device with the image, detaching on last
// close; LOOP_CONFIGURE (Linux 5.8) does it in one step.
func attachLoop(loop, img int) error {
	err := unix.IoctlLoopConfigure(loop, &unix.LoopConfig{Fd: uint32(img), Info: unix.LoopInfo64{Flags: unix.LO_FLAGS_AUTOCLEAR}})
	if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOTTY) {
		return err
	}
	if err := unix.IoctlSetInt(loop, unix.LOOP_SET_FD, img); err != nil {
		return err
	}
	return unix.IoctlLoopSetStatus64(loop, &unix.LoopInfo64{Flags: unix.LO_FLAGS_AUTOCLEAR})
}

// prepareTmp makes the storage the init mounts at the environment's /tmp
// (root is the environment's root mount point): an ext4 image where the
// sandbox can mount one, else a directory on the stack's disk; nothing in
// a user namespace, whose /tmp stays a tmpfs of cfg.TmpBytes.
func (sb *sandboxer) prepareTmp(root string, cfg *sandboxConfig) error {
	switch {
	case cfg.InUserNS:
		return nil
	case sb.mkfs != "":
		cfg.TmpImage = root + tmpImageSuffix
		return makeTmpImage(sb.mkfs, cfg.TmpImage, cfg.TmpBytes)
	default:
		cfg.TmpDir = root + tmpDirSuffix
		if err := os.Mkdir(cfg.TmpDir, 0o777); err != nil {
			return err
		}
		return os.Chmod(cfg.TmpDir, 0o777|os.ModeSticky)
	}
}

// probeTmpImage checks that an environment's /tmp can be an ext4 image on
// a loop device here, and returns mkfs.ext4's path if so.
func (sb *sandboxer) probeTmpImage(workDir string) (string, error) {
	mkfs, err := findMkfs()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(workDir, "probe-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	image := dir + tmpImageSuffix
	defer os.Remove(image)
	if err := makeTmpImage(mkfs, image, 4<<20); err != nil {
		return "", err
	}
	if err := sb.runProbe("probe-tmp", "PROBE_DIR="+dir, "PROBE_IMAGE="+image); err != nil {
		return "", err
	}
	return mkfs, nil
}

package lambdasvc

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxUnzippedSize is Lambda's limit for an unpacked deployment package.
const maxUnzippedSize = 262144000

// packageError is a problem with the uploaded package itself (as opposed to
// the disk we unpack to); the API reports it as InvalidParameterValue.
type packageError struct{ msg string }

func (e *packageError) Error() string { return e.msg }

func badPackage(format string, args ...any) error {
	return &packageError{fmt.Sprintf(format, args...)}
}

// unpackZip extracts a deployment package into dir, which it creates. It
// refuses entries that would land outside dir (zip slip), symlinks that
// resolve outside it, duplicates, special files and more than limit bytes
// in all, and keeps the permission bits (the exec bit of bootstrap matters).
// On error dir is removed.
func unpackZip(data []byte, dir string, limit int64) (err error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return badPackage("Could not unzip uploaded file: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("create code directory: %w", err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("create code directory: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()

	seen := make(map[string]bool, len(zr.File))
	var links []*zip.File
	var total int64
	for _, f := range zr.File {
		rel, err := entryPath(f.Name)
		if err != nil {
			return err
		}
		if rel == "." {
			continue
		}
		if seen[rel] {
			return badPackage("zip entry %q appears more than once", f.Name)
		}
		seen[rel] = true
		mode := f.Mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			// Created after every regular file, so no write below can
			// follow a link.
			links = append(links, f)
		case mode.IsDir():
			if err := os.MkdirAll(filepath.Join(dir, rel), 0o755); err != nil {
				return fmt.Errorf("unpack %s: %w", f.Name, err)
			}
		case mode.IsRegular():
			if f.UncompressedSize64 > uint64(limit-total) {
				return badPackage("Unzipped size must be smaller than %d bytes", limit)
			}
			n, err := writeEntry(f, filepath.Join(dir, rel), limit-total, limit)
			if err != nil {
				return err
			}
			total += n
		default:
			return badPackage("zip entry %q is a %v, only files, directories and symlinks are allowed", f.Name, mode.Type())
		}
	}
	for _, f := range links {
		if err := writeLink(f, dir); err != nil {
			return err
		}
	}
	return checkLinks(dir, links)
}

// entryPath turns a zip name into a clean relative path, refusing anything
// that could escape the target directory.
func entryPath(name string) (string, error) {
	if strings.ContainsAny(name, "\\\x00") {
		return "", badPackage("zip entry %q has a backslash or NUL in its name", name)
	}
	rel := strings.TrimSuffix(name, "/")
	if rel == "" {
		return ".", nil
	}
	if !filepath.IsLocal(rel) {
		return "", badPackage("zip entry %q points outside the package (absolute or ..)", name)
	}
	return filepath.Clean(rel), nil
}

// writeEntry writes one regular file with O_EXCL, so a name can neither be
// overwritten nor be an existing symlink.
func writeEntry(f *zip.File, path string, remaining, limit int64) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, fmt.Errorf("unpack %s: %w", f.Name, err)
	}
	// Keep the exec bits, make sure we can read and write our copy, and
	// drop group/other write and setuid-like bits.
	perm := f.Mode().Perm()&0o755 | 0o600
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return 0, fmt.Errorf("unpack %s: %w", f.Name, err)
	}
	rc, err := f.Open()
	if err != nil {
		out.Close()
		return 0, badPackage("zip entry %q: %v", f.Name, err)
	}
	n, err := io.Copy(out, io.LimitReader(rc, remaining+1))
	rc.Close()
	if cerr := out.Close(); err == nil && cerr != nil {
		return n, fmt.Errorf("unpack %s: %w", f.Name, cerr)
	}
	switch {
	case err != nil:
		// Read errors are corrupt data (checksum, truncated stream).
		return n, badPackage("zip entry %q: %v", f.Name, err)
	case n > remaining:
		return n, badPackage("Unzipped size must be smaller than %d bytes", limit)
	}
	// The umask may have masked the mode; set it exactly.
	if err := os.Chmod(path, perm); err != nil {
		return n, fmt.Errorf("unpack %s: %w", f.Name, err)
	}
	return n, nil
}

func writeLink(f *zip.File, dir string) error {
	rc, err := f.Open()
	if err != nil {
		return badPackage("zip entry %q: %v", f.Name, err)
	}
	target, err := io.ReadAll(io.LimitReader(rc, 4097))
	rc.Close()
	if err != nil {
		return badPackage("zip entry %q: %v", f.Name, err)
	}
	rel, _ := entryPath(f.Name)
	t := string(target)
	// Lexical check first; checkLinks then resolves the final tree, which
	// catches chains of links that only escape together.
	if len(target) > 4096 || t == "" || filepath.IsAbs(t) || strings.ContainsRune(t, 0) ||
		!filepath.IsLocal(filepath.Join(filepath.Dir(rel), t)) {
		return badPackage("zip entry %q is a symlink to %q, outside the package", f.Name, t)
	}
	path := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("unpack %s: %w", f.Name, err)
	}
	if err := os.Symlink(t, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return badPackage("zip entry %q is a symlink over another entry", f.Name)
		}
		return fmt.Errorf("unpack %s: %w", f.Name, err)
	}
	return nil
}

// checkLinks resolves every symlink in the unpacked tree and refuses
// dangling links, loops and links that resolve outside dir.
func checkLinks(dir string, links []*zip.File) error {
	if len(links) == 0 {
		return nil
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("resolve code directory: %w", err)
	}
	for _, f := range links {
		rel, _ := entryPath(f.Name)
		resolved, err := filepath.EvalSymlinks(filepath.Join(dir, rel))
		if err != nil {
			return badPackage("zip entry %q is a symlink that does not resolve inside the package: %v", f.Name, err)
		}
		if r, err := filepath.Rel(root, resolved); err != nil || !filepath.IsLocal(r) {
			return badPackage("zip entry %q is a symlink that resolves outside the package", f.Name)
		}
	}
	return nil
}

// checkBootstrap makes sure the package can start on a provided runtime.
func checkBootstrap(dir string, data []byte) error {
	fi, err := os.Stat(filepath.Join(dir, "bootstrap"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return badPackage("the deployment package has no bootstrap at its root (a provided.* runtime starts ./bootstrap); it holds: %s", listEntries(data, 8))
	case err != nil:
		return fmt.Errorf("stat bootstrap: %w", err)
	case !fi.Mode().IsRegular():
		return badPackage("bootstrap in the deployment package is not a regular file (%v)", fi.Mode().Type())
	case fi.Mode().Perm()&0o100 == 0:
		return badPackage("bootstrap in the deployment package is not executable (mode %#o); set its exec bit before zipping", fi.Mode().Perm())
	}
	return nil
}

func listEntries(data []byte, maxN int) string {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil || len(zr.File) == 0 {
		return "no files"
	}
	var names []string
	for i, f := range zr.File {
		if i == maxN {
			names = append(names, fmt.Sprintf("... (%d entries)", len(zr.File)))
			break
		}
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

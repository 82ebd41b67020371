package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/facevec/facevec/result"
)

// imageExts are the extensions picked up when walking a directory. Files
// named explicitly are always processed, whatever their name.
var imageExts = map[string]bool{
	".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".webp": true,
	".bmp": true, ".tif": true, ".tiff": true, ".heic": true, ".heif": true, ".avif": true,
}

// expandPaths lists the files to process: files as given, directories
// walked (sorted, hidden entries skipped). A path that does not exist is
// kept so that it gets its own error result.
func expandPaths(paths []string) []string {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		_ = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				found = append(found, path) // unreadable entry: report it
				return nil
			}
			name := d.Name()
			if path != p && strings.HasPrefix(name, ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() && imageExts[strings.ToLower(filepath.Ext(name))] {
				found = append(found, path)
			}
			return nil
		})
		sort.Strings(found)
		out = append(out, found...)
	}
	return out
}

// readImage reads a file, refusing more than maxBytes without reading it
// all. Errors carry schema codes.
func readImage(path string, maxBytes int64) ([]byte, error) {
	// Stat before open: opening a FIFO blocks until a writer comes, and a
	// device (/dev/zero) never ends.
	st, err := os.Stat(path)
	if err != nil {
		return nil, fileErr(path, err)
	}
	if st.IsDir() {
		return nil, result.Errorf(result.CodeUnsupportedFormat, "%s is a directory", path)
	}
	if !st.Mode().IsRegular() {
		return nil, result.Errorf(result.CodeUnsupportedFormat, "%s is not a regular file (%s); skipped", path, fileKind(st.Mode()))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fileErr(path, err)
	}
	defer f.Close()
	if maxBytes > 0 && st.Size() > maxBytes {
		return nil, result.Errorf(result.CodeTooLarge, "%s is %d bytes, over the limit of %d bytes", path, st.Size(), maxBytes)
	}
	r := io.Reader(f)
	if maxBytes > 0 {
		r = io.LimitReader(f, maxBytes+1)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fileErr(path, err)
	}
	if maxBytes > 0 && int64(len(data)) > maxBytes {
		return nil, result.Errorf(result.CodeTooLarge, "%s is over the limit of %d bytes", path, maxBytes)
	}
	return data, nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}

func fileErr(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return result.Errorf(result.CodeNotFound, "%s: no such file", path)
	case errors.Is(err, fs.ErrPermission):
		return result.Errorf(result.CodeAccessDenied, "%s: permission denied", path)
	}
	return result.Errorf(result.CodeInternal, "read %s: %v", path, err)
}

func fmtErr(r *result.Result) string {
	if r.Error == nil {
		return ""
	}
	return fmt.Sprintf("%s: %s", r.Error.Code, r.Error.Message)
}

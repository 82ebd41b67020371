package owner

import (
	"log/slog"
	"os"
	"path/filepath"
)

// File is the file in a temporary directory that names its owner.
const File = ".owner"

// MkdirTemp makes a temporary directory like os.MkdirTemp("", pattern) and
// writes Self to its File, so that RemoveStaleDirs can remove it once this
// process is gone without having removed it (killed with SIGKILL).
func MkdirTemp(pattern string) (string, error) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, File), []byte(Self()), 0o644); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// RemoveStaleDirs removes the temporary directories named pattern* whose
// owner is Gone; directories without an owner file are left alone.
func RemoveStaleDirs(pattern string, log *slog.Logger) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), pattern+"*"))
	for _, d := range dirs {
		by, err := os.ReadFile(filepath.Join(d, File))
		if err != nil || !Gone(string(by)) {
			continue
		}
		if err := os.RemoveAll(d); err != nil {
			log.Warn("could not remove the temporary directory of a stack that is gone", "dir", d, "err", err)
			continue
		}
		log.Info("removed the temporary directory of a stack that is gone", "dir", d, "owner", string(by))
	}
}

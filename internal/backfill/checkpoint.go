package backfill

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// checkpointEntry is one line of a checkpoint: a key done under a function.
type checkpointEntry struct {
	Function string `json:"function"` // fingerprint of the function (see fingerprint)
	Bucket   string `json:"bucket"`
	Key      string `json:"key"`
	ETag     string `json:"etag"`
}

// checkpoint appends done keys to a JSON Lines file.
type checkpoint struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

// loadCheckpoint reads the keys of bucket done under function, by key, and
// opens the file for appending. A missing file is an empty checkpoint; a
// line that is not an entry (a write cut short by a crash) is ignored.
func loadCheckpoint(path, function, bucket string) (*checkpoint, map[string]string, error) {
	done := map[string]string{}
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	default:
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var e checkpointEntry
			if json.Unmarshal(sc.Bytes(), &e) == nil && e.Function == function && e.Bucket == bucket && e.Key != "" {
				done[e.Key] = e.ETag
			}
		}
		err := sc.Err()
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("checkpoint %s: %w", path, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	return &checkpoint{path: path, f: w}, done, nil
}

// add appends entries in one write and syncs, so that a key is in the
// checkpoint once its invocation has answered and not before.
func (c *checkpoint) add(entries []checkpointEntry) error {
	if len(entries) == 0 {
		return nil
	}
	var buf []byte
	for _, e := range entries {
		line, err := json.Marshal(e)
		if err != nil {
			return err
		}
		buf = append(append(buf, line...), '\n')
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.f.Write(buf); err != nil {
		return fmt.Errorf("checkpoint %s: %w", c.path, err)
	}
	if err := c.f.Sync(); err != nil {
		return fmt.Errorf("checkpoint %s: %w", c.path, err)
	}
	return nil
}

func (c *checkpoint) close() error { return c.f.Close() }

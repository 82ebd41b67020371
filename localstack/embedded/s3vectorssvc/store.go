package s3vectorssvc

import (
	"encoding/json"
	"time"
)

// vectorBucket holds indexes.
type vectorBucket struct {
	name, arn string
	created   time.Time
	indexes   map[string]*index
}

// index holds its vectors in one flat slice (row i is data[i*dim:(i+1)*dim])
// so that an exact search is one pass over contiguous memory; a delete
// moves the last row into the hole.
type index struct {
	name, arn, bucket string
	created           time.Time
	dimension         int
	metric            string // "euclidean" or "cosine"
	nonFilterable     []string

	keys []string
	data []float32
	meta []json.RawMessage // nil when the vector has none
	pos  map[string]int
}

func (ix *index) row(i int) []float32 { return ix.data[i*ix.dimension : (i+1)*ix.dimension] }

// put inserts or overwrites one vector.
func (ix *index) put(key string, vec []float32, meta json.RawMessage) {
	if i, ok := ix.pos[key]; ok {
		copy(ix.row(i), vec)
		ix.meta[i] = meta
		return
	}
	ix.pos[key] = len(ix.keys)
	ix.keys = append(ix.keys, key)
	ix.data = append(ix.data, vec...)
	ix.meta = append(ix.meta, meta)
}

// remove deletes one vector; a missing key is not an error, as on the
// service.
func (ix *index) remove(key string) {
	i, ok := ix.pos[key]
	if !ok {
		return
	}
	last := len(ix.keys) - 1
	if i != last {
		ix.keys[i] = ix.keys[last]
		copy(ix.row(i), ix.row(last))
		ix.meta[i] = ix.meta[last]
		ix.pos[ix.keys[i]] = i
	}
	ix.keys = ix.keys[:last]
	ix.data = ix.data[:last*ix.dimension]
	ix.meta[last] = nil
	ix.meta = ix.meta[:last]
	delete(ix.pos, key)
}

package s3vectorssvc

import (
	"bytes"
	"encoding/json"
	"hash/fnv"
	"math"
	"net/http"
	"slices"
	"sort"
)

// checkVector validates one vector's data against ix.
func checkVector(ix *index, key string, v []float32) *apiError {
	if len(v) != ix.dimension {
		return errValidation("Invalid vector %q: it has %d dimensions, the index %s has %d", key, len(v), ix.name, ix.dimension)
	}
	var norm float64
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return errValidation("Invalid vector %q: values must be finite (no NaN or infinity)", key)
		}
		norm += float64(x) * float64(x)
	}
	if ix.metric == "cosine" && norm == 0 {
		return errValidation("Invalid vector %q: a zero vector has no cosine distance", key)
	}
	return nil
}

// checkMetadata validates one vector's metadata: a JSON object within the
// service's size and key limits.
func checkMetadata(ix *index, key string, raw json.RawMessage) (json.RawMessage, *apiError) {
	if len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errValidation("Invalid metadata of vector %q: must be a JSON object", key)
	}
	if len(m) > MaxMetadataKeys {
		return nil, errValidation("Invalid metadata of vector %q: %d keys, at most %d", key, len(m), MaxMetadataKeys)
	}
	total, filterable := 0, 0
	for k, v := range m {
		n := len(k) + len(v)
		total += n
		if !slices.Contains(ix.nonFilterable, k) {
			filterable += n
		}
	}
	if total > MaxMetadataBytes {
		return nil, errValidation("Invalid metadata of vector %q: %d bytes, at most %d", key, total, MaxMetadataBytes)
	}
	if filterable > MaxFilterableBytes {
		return nil, errValidation("Invalid metadata of vector %q: %d bytes of filterable metadata, at most %d", key, filterable, MaxFilterableBytes)
	}
	compact := new(bytes.Buffer)
	_ = json.Compact(compact, raw)
	return compact.Bytes(), nil
}

func (s *Service) putVectors(r *http.Request) (any, *apiError) {
	var in putVectorsIn
	if e := decode(r, &in); e != nil {
		return nil, e
	}
	if e := checkCount("vectors", len(in.Vectors), MaxPutVectors); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, e := s.indexOf(in.target)
	if e != nil {
		return nil, e
	}
	// All or nothing: validate every vector before storing any.
	seen := make(map[string]bool, len(in.Vectors))
	metas := make([]json.RawMessage, len(in.Vectors))
	for i, v := range in.Vectors {
		if e := checkKey(v.Key); e != nil {
			return nil, e
		}
		if seen[v.Key] {
			return nil, errValidation("Duplicate vector key %q in one request", v.Key)
		}
		seen[v.Key] = true
		if v.Data == nil {
			return nil, errValidation("Vector %q has no data", v.Key)
		}
		if e := checkVector(ix, v.Key, v.Data.Float32); e != nil {
			return nil, e
		}
		if metas[i], e = checkMetadata(ix, v.Key, v.Metadata); e != nil {
			return nil, e
		}
	}
	for i, v := range in.Vectors {
		ix.put(v.Key, v.Data.Float32, metas[i])
	}
	return struct{}{}, nil
}

// decodeKeys reads a GetVectors or DeleteVectors request of at most limit
// keys.
func decodeKeys(r *http.Request, limit int) (keysIn, *apiError) {
	var in keysIn
	if e := decode(r, &in); e != nil {
		return in, e
	}
	if e := checkCount("keys", len(in.Keys), limit); e != nil {
		return in, e
	}
	for _, k := range in.Keys {
		if e := checkKey(k); e != nil {
			return in, e
		}
	}
	return in, nil
}

func (s *Service) getVectors(r *http.Request) (any, *apiError) {
	in, e := decodeKeys(r, MaxGetVectors)
	if e != nil {
		return nil, e
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ix, e := s.indexOf(in.target)
	if e != nil {
		return nil, e
	}
	out := vectorsOut{Vectors: []outputVector{}}
	for _, k := range in.Keys {
		if i, ok := ix.pos[k]; ok {
			out.Vectors = append(out.Vectors, ix.output(i, in.ReturnData, in.ReturnMetadata))
		}
	}
	return out, nil
}

// output renders vector i.
func (ix *index) output(i int, data, meta bool) outputVector {
	v := outputVector{Key: ix.keys[i]}
	if data {
		v.Data = &vectorData{Float32: slices.Clone(ix.row(i))}
	}
	if meta && ix.meta[i] != nil {
		v.Metadata = ix.meta[i]
	}
	return v
}

func (s *Service) deleteVectors(r *http.Request) (any, *apiError) {
	in, e := decodeKeys(r, MaxDeleteVectors)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, e := s.indexOf(in.target)
	if e != nil {
		return nil, e
	}
	for _, k := range in.Keys {
		ix.remove(k)
	}
	return struct{}{}, nil
}

// listVectors pages through the index in key order; the token is the last
// key of the previous page. With segments, a key belongs to the segment
// its hash picks, so that parallel listers see every key exactly once.
func (s *Service) listVectors(r *http.Request) (any, *apiError) {
	var in listVectorsIn
	if e := decode(r, &in); e != nil {
		return nil, e
	}
	limit := MaxListPage
	if in.MaxResults != nil {
		if e := checkCount("maxResults", *in.MaxResults, MaxListPage); e != nil {
			return nil, e
		}
		limit = *in.MaxResults
	}
	segments, segment := 1, 0
	if in.SegmentCount != nil {
		if e := checkCount("segmentCount", *in.SegmentCount, MaxSegments); e != nil {
			return nil, e
		}
		segments = *in.SegmentCount
		// An absent segmentIndex is 0: the SDKs leave a zero out.
		if in.SegmentIndex != nil {
			segment = *in.SegmentIndex
		}
		if segment < 0 || segment >= segments {
			return nil, errValidation("segmentIndex must be from 0 to segmentCount-1 (%d)", segments-1)
		}
	} else if in.SegmentIndex != nil && *in.SegmentIndex != 0 {
		return nil, errValidation("segmentIndex needs segmentCount")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ix, e := s.indexOf(in.target)
	if e != nil {
		return nil, e
	}
	var rows []int
	for i, k := range ix.keys {
		if k > in.NextToken && (segments == 1 || segmentOf(k, segments) == segment) {
			rows = append(rows, i)
		}
	}
	sort.Slice(rows, func(a, b int) bool { return ix.keys[rows[a]] < ix.keys[rows[b]] })
	out := vectorsOut{Vectors: []outputVector{}}
	for _, i := range rows[:min(limit, len(rows))] {
		out.Vectors = append(out.Vectors, ix.output(i, in.ReturnData, in.ReturnMetadata))
	}
	if len(rows) > limit {
		out.NextToken = out.Vectors[len(out.Vectors)-1].Key
	}
	return out, nil
}

func segmentOf(key string, segments int) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(segments))
}

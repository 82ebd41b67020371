package s3vectorssvc

import (
	"container/heap"
	"math"
	"net/http"
)

// queryVectors is an exact k-nearest-neighbour search: every vector of the
// index is compared, where the service searches approximately.
func (s *Service) queryVectors(r *http.Request) (any, *apiError) {
	var in queryVectorsIn
	if e := decode(r, &in); e != nil {
		return nil, e
	}
	if in.TopK == nil {
		return nil, errValidation("topK is required")
	}
	if e := checkCount("topK", *in.TopK, MaxTopK); e != nil {
		return nil, e
	}
	if in.QueryVector == nil {
		return nil, errValidation("queryVector is required")
	}
	if len(in.Filter) > 0 && string(in.Filter) != "null" {
		return nil, errNotImplemented("metadata filters: the embedded stack searches without them")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ix, e := s.indexOf(in.target)
	if e != nil {
		return nil, e
	}
	q := []float32(in.QueryVector.Float32)
	if e := checkVector(ix, "queryVector", q); e != nil {
		return nil, e
	}
	best := ix.nearest(q, *in.TopK)
	out := vectorsOut{Vectors: make([]outputVector, len(best)), DistanceMetric: ix.metric}
	for i, c := range best {
		v := ix.output(c.row, false, in.ReturnMetadata)
		if in.ReturnDistance {
			d := float32(c.dist)
			v.Distance = &d
		}
		out.Vectors[i] = v
	}
	return out, nil
}

type candidate struct {
	row  int
	dist float64
}

// farthestFirst is a max-heap on distance: the root is the candidate to
// drop when a nearer one turns up.
type farthestFirst []candidate

func (h farthestFirst) Len() int           { return len(h) }
func (h farthestFirst) Less(i, j int) bool { return h[i].dist > h[j].dist }
func (h farthestFirst) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *farthestFirst) Push(x any)        { *h = append(*h, x.(candidate)) }
func (h *farthestFirst) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// nearest returns the k rows nearest to q, nearest first.
func (ix *index) nearest(q []float32, k int) []candidate {
	var qnorm float64
	for _, x := range q {
		qnorm += float64(x) * float64(x)
	}
	qnorm = math.Sqrt(qnorm)
	h := make(farthestFirst, 0, k)
	for i := range ix.keys {
		d := ix.distance(q, qnorm, ix.row(i))
		if len(h) < k {
			heap.Push(&h, candidate{i, d})
		} else if d < h[0].dist {
			h[0] = candidate{i, d}
			heap.Fix(&h, 0)
		}
	}
	out := make([]candidate, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&h).(candidate)
	}
	return out
}

// distance is the Euclidean distance, or for a cosine index 1 − cosine
// similarity.
func (ix *index) distance(q []float32, qnorm float64, v []float32) float64 {
	if ix.metric == "cosine" {
		var dot, vnorm float64
		for i := range q {
			dot += float64(q[i]) * float64(v[i])
			vnorm += float64(v[i]) * float64(v[i])
		}
		return 1 - dot/(qnorm*math.Sqrt(vnorm))
	}
	var sum float64
	for i := range q {
		d := float64(q[i]) - float64(v[i])
		sum += d * d
	}
	return math.Sqrt(sum)
}

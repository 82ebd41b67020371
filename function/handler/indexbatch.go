package handler

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/facevec/facevec/result"
)

// BatchIndex is a VectorIndex that can write several photos' faces in one
// go (vectorindex.Index.SyncAll). S3 Vectors bills every PutVectors at a
// minimum size, so an invocation with many records (an SQS batch, an S3
// Batch Operations task list) writes its faces once, after its records,
// instead of once per photo.
type BatchIndex interface {
	VectorIndex
	SyncAll(ctx context.Context, results []*result.Result) error
}

// indexBatch holds, per record of one invocation, the result whose faces
// are still to be indexed. nil: each record indexes its own result.
type indexBatch struct {
	ix    BatchIndex
	slots []indexSlot
}

// indexSlot is one record's place in the batch.
type indexSlot struct {
	res *result.Result // written, faces not indexed yet; nil: nothing pending
}

// newIndexBatch batches an invocation's index writes when the index can,
// there is more than one record, and every record is a creation: a
// removal of the same key in the same batch must not be overtaken by a
// deferred write of the faces it removes.
func (h *Handler) newIndexBatch(recs []eventRecord) *indexBatch {
	bix, ok := h.index.(BatchIndex)
	if !ok || len(recs) < 2 {
		return nil
	}
	for _, r := range recs {
		if !strings.HasPrefix(strings.TrimPrefix(r.EventName, "s3:"), "ObjectCreated:") {
			return nil
		}
	}
	return &indexBatch{ix: bix, slots: make([]indexSlot, len(recs))}
}

// slot is record i's slot, nil without a batch.
func (b *indexBatch) slot(i int) *indexSlot {
	if b == nil {
		return nil
	}
	return &b.slots[i]
}

// flush indexes every pending result in one SyncAll. When that fails, the
// records whose faces it carried fail as a record's own index write
// would: their results stay written and they are retryable, and the retry
// finds the result final and only indexes.
func (b *indexBatch) flush(ctx context.Context, log *slog.Logger, sums []Summary, errs []error) {
	if b == nil {
		return
	}
	var pending []*result.Result
	var at []int
	for i, s := range b.slots {
		if s.res != nil && errs[i] == nil {
			pending = append(pending, s.res)
			at = append(at, i)
		}
	}
	if len(pending) == 0 {
		return
	}
	err := b.ix.SyncAll(ctx, pending)
	if err == nil {
		log.Debug("faces indexed in one batch", "photos", len(pending))
		return
	}
	for n, i := range at {
		src := pending[n].Source
		errs[i] = fmt.Errorf("index the faces of s3://%s/%s (with %d other photos): %w", src.Bucket, src.Key, len(pending)-1, err)
		sums[i].setError(result.CodeInternal, errs[i].Error())
		sums[i].Retryable = true
		log.Error("record failed; the invocation will be retried", "bucket", src.Bucket, "key", src.Key, "error", errs[i])
	}
}

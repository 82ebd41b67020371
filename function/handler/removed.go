package handler

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/facevec/facevec/result"
)

// removed handles an ObjectRemoved record when there is a vector index:
// the photo's faces leave the index. The result JSON stays (the function
// may not delete; it also records what the photo held). A late or
// redelivered event for a key that exists again changes nothing: the new
// object's ObjectCreated event indexes it.
//
// readings are the keys the event's key may stand for (keyReadings): two
// for an EventBridge key with '+' or '%' in it. The faces of every reading
// whose object does not exist leave the index, so that the deleted photo's
// faces go whichever way its event wrote the key; a reading that exists is
// another photo and keeps its faces. A reading that does not exist has no
// photo for its faces to describe, so removing them loses nothing the
// result JSON does not keep.
func (h *Handler) removed(ctx context.Context, log *slog.Logger, sum Summary, readings []string) (Summary, error) {
	var gone []string
	for _, key := range readings {
		ok, err := h.exists(ctx, sum.Bucket, key)
		if err != nil {
			return h.removeFailed(log, sum, err)
		}
		if !ok {
			gone = append(gone, key)
		}
	}
	if len(gone) == 0 {
		return h.skip(log, sum, SkipObjectBack, "the object exists again; its own ObjectCreated event indexes it")
	}
	sum.Key = gone[0]
	for _, key := range gone {
		n, err := h.index.Remove(ctx, sum.Bucket, key)
		if err != nil {
			return h.removeFailed(log, sum, err)
		}
		sum.RemovedVectors += n
	}
	if len(gone) > 1 {
		sum.Message = fmt.Sprintf("the event's key reads as %q or %q and neither object exists; the faces of both were removed", gone[0], gone[1])
	}
	log.Info("faces removed from the vector index", "vectors", sum.RemovedVectors, "removed_keys", gone)
	return sum, nil
}

func (h *Handler) removeFailed(log *slog.Logger, sum Summary, err error) (Summary, error) {
	sum.setError(result.CodeInternal, err.Error())
	sum.Retryable = true
	log.Error("removal failed; the invocation will be retried", "error", err)
	return sum, err
}

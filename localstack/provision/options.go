package provision

import "log/slog"

// Option configures Apply and Destroy.
type Option func(*options)

type options struct {
	log           *slog.Logger
	deleteBuckets bool
	vectors       VectorsAPI
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithDeleteBuckets makes Destroy empty and delete the spec's buckets too
// (input, output and code bucket). Without it the buckets and their
// objects are left alone.
func WithDeleteBuckets() Option { return func(o *options) { o.deleteBuckets = true } }

// WithVectors gives Apply the S3 Vectors client it needs for a spec with
// a VectorIndex.
func WithVectors(c VectorsAPI) Option { return func(o *options) { o.vectors = c } }

func newOptions(opts []Option) *options {
	o := &options{}
	for _, f := range opts {
		if f != nil {
			f(o)
		}
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	return o
}

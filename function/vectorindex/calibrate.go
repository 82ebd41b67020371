package vectorindex

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"
)

// calibrationGap is the Euclidean distance between the two probe vectors
// Calibrate writes: its square (0.25) is far enough from it to tell the
// two apart at float32 precision.
const calibrationGap = 0.5

// CalibrationBucket is the bucket name in the probe vectors' metadata: no
// S3 bucket can be named so (upper case), so no photo's faces collide.
const CalibrationBucket = "FACEVEC-CALIBRATION"

// ErrCalibration is wrapped by Calibrate when the service's distance is
// neither the Euclidean distance nor its square.
var ErrCalibration = errors.New("vectorindex: QueryVectors' distance is neither Euclidean nor squared Euclidean")

// Calibrate measures what QueryVectors' euclidean "distance" is, which the
// S3 Vectors API reference does not say: the distance or its square. It
// writes two probe vectors calibrationGap apart (the origin and a point on
// the first axis: dlib descriptors lie near the unit sphere, about 1 away),
// queries with one, reads the other's distance and deletes both, also on
// failure. It reports whether the service's distance is squared; a Query
// of an index made WithSquaredDistance converts. Its keys are unique per
// call, so concurrent calibrations do not meet.
func (ix *Index) Calibrate(ctx context.Context) (squared bool, err error) {
	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	keys := []string{Key(CalibrationBucket, stamp, 0), Key(CalibrationBucket, stamp, 1)}
	a := make([]float32, Dimension)
	b := make([]float32, Dimension)
	b[0] = calibrationGap
	vecs := make([]types.PutInputVector, 0, 2)
	for n, v := range [][]float32{a, b} {
		vecs = append(vecs, types.PutInputVector{
			Key:      aws.String(keys[n]),
			Data:     &types.VectorDataMemberFloat32{Value: v},
			Metadata: Face{Bucket: CalibrationBucket, Key: stamp, Face: n}.document(),
		})
	}
	if _, err := ix.api.PutVectors(ctx, &s3vectors.PutVectorsInput{
		VectorBucketName: aws.String(ix.bucket), IndexName: aws.String(ix.index), Vectors: vecs,
	}); err != nil {
		return false, fmt.Errorf("vectorindex: calibrate %s: put the probes: %w", ix, err)
	}
	defer func() {
		// Context of its own: the probes go even when ctx has ended.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, derr := ix.api.DeleteVectors(dctx, &s3vectors.DeleteVectorsInput{
			VectorBucketName: aws.String(ix.bucket), IndexName: aws.String(ix.index), Keys: keys,
		}); derr != nil {
			err = errors.Join(err, fmt.Errorf("vectorindex: calibrate %s: delete the probes %v: %w", ix, keys, derr))
		}
	}()
	out, err := ix.api.QueryVectors(ctx, &s3vectors.QueryVectorsInput{
		VectorBucketName: aws.String(ix.bucket), IndexName: aws.String(ix.index),
		QueryVector: &types.VectorDataMemberFloat32{Value: a},
		TopK:        aws.Int32(MaxTopK), ReturnDistance: true,
	})
	if err != nil {
		return false, fmt.Errorf("vectorindex: calibrate %s: query: %w", ix, err)
	}
	for _, v := range out.Vectors {
		if aws.ToString(v.Key) != keys[1] || v.Distance == nil {
			continue
		}
		d := float64(*v.Distance)
		switch {
		case math.Abs(d-calibrationGap) < 1e-4:
			return false, nil
		case math.Abs(d-calibrationGap*calibrationGap) < 1e-4:
			return true, nil
		}
		return false, fmt.Errorf("%w: probes %g apart came back %g apart", ErrCalibration, calibrationGap, d)
	}
	return false, fmt.Errorf("vectorindex: calibrate %s: the second probe was not among the %d nearest to the first (a write not yet visible?)", ix, MaxTopK)
}

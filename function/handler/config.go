package handler

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/function/face/imagefmt"
	"github.com/facevec/facevec/function/vectorindex"
)

// Defaults of the environment variables (docs/CONTRACT.md "Lambda function").
const (
	DefaultOutputPrefix   = "encodings/"
	DefaultDetector       = face.DetectorHOG
	DefaultUpsample       = 1
	DefaultJitter         = 0
	DefaultMaxSide        = face.DefaultMaxSide
	DefaultMaxObjectBytes = 25 << 20
	DefaultMaxPixels      = 50_000_000
)

// Environment variable names read by ConfigFromEnv.
const (
	EnvOutputBucket   = "OUTPUT_BUCKET"
	EnvOutputPrefix   = "OUTPUT_PREFIX"
	EnvDetector       = "DETECTOR"
	EnvUpsample       = "UPSAMPLE"
	EnvJitter         = "JITTER"
	EnvMaxSide        = "MAX_SIDE"
	EnvMaxObjectBytes = "MAX_OBJECT_BYTES"
	EnvMaxPixels      = "MAX_PIXELS"
	EnvModels         = "FACEVEC_MODELS"
	EnvBLAS           = "FACEVEC_BLAS"
	envTaskRoot       = "LAMBDA_TASK_ROOT"
)

// EnvVectorBucket and EnvVectorIndex name the S3 Vectors index every face
// is written to; both or neither (package vectorindex).
const (
	EnvVectorBucket = "VECTOR_BUCKET"
	EnvVectorIndex  = "VECTOR_INDEX"
)

// blasName is what an OpenBLAS kernel set's name looks like; whether this
// build has it is for the encoder to say.
var blasName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,31}$`)

// Bounds that keep a typo from configuring something absurd.
const (
	maxPrefixLen = 512 // leaves room for the input key inside S3's 1024-byte limit
	maxMaxSide   = 100_000
	// maxObjectBytesLimit is Lambda's largest memory size: no image above it
	// could be held in memory anyway.
	maxObjectBytesLimit = 10 << 30
	maxPixelsLimit      = 1 << 31
)

// ErrConfig is wrapped by every configuration error; the message names
// the variable.
var ErrConfig = errors.New("invalid configuration")

// Config is the function's configuration, read once at init.
type Config struct {
	// OutputBucket receives the results; "" means the bucket of each input.
	OutputBucket string
	// OutputPrefix is prepended to the input key (then ".json" appended).
	OutputPrefix string
	// Detector is face.DetectorHOG or face.DetectorCNN.
	Detector string
	// Upsample is the detector's upsampling, 0..face.MaxUpsample.
	Upsample int
	// Jitter is the number of jittered copies averaged, 0..face.MaxJitter.
	Jitter int
	// MaxSide bounds the longer side of the detection copy; 0 = never downscale.
	MaxSide int
	// MaxObjectBytes is the largest object read from S3.
	MaxObjectBytes int64
	// MaxPixels is the largest decoded image (width × height).
	MaxPixels int64
	// ModelsDir holds the dlib model files.
	ModelsDir string
	// BLAS names the OpenBLAS kernel set the encoder is to run
	// (face.DefaultBLAS; "auto": OpenBLAS's per-CPU choice). main checks
	// it against what OpenBLAS has; here it is only a name.
	BLAS string
	// VectorBucket and VectorIndex name the S3 Vectors index of the faces;
	// both "" when there is none.
	VectorBucket, VectorIndex string
	// MetricsNamespace is the CloudWatch namespace of the function's EMF
	// metrics (metrics.go); "" for none.
	MetricsNamespace string
}

// DefaultConfig returns the configuration with every variable unset, the
// models looked up in ./models.
func DefaultConfig() Config {
	return Config{
		OutputPrefix:   DefaultOutputPrefix,
		Detector:       DefaultDetector,
		Upsample:       DefaultUpsample,
		Jitter:         DefaultJitter,
		MaxSide:        DefaultMaxSide,
		MaxObjectBytes: DefaultMaxObjectBytes,
		MaxPixels:      DefaultMaxPixels,
		ModelsDir:      "models",
		BLAS:           face.DefaultBLAS,
	}
}

// ConfigFromEnv reads and validates the configuration. getenv is
// os.Getenv in production; an unset or empty variable takes its default.
// Every problem is reported (joined), each naming its variable.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := DefaultConfig()
	var errs []error
	bad := func(name, value, why string) {
		errs = append(errs, fmt.Errorf("%w: %s=%q: %s", ErrConfig, name, value, why))
	}
	get := func(name string) (string, bool) {
		v := strings.TrimSpace(getenv(name))
		return v, v != ""
	}
	integer := func(name string, dst *int, lo, hi int) {
		v, ok := get(name)
		if !ok {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			bad(name, v, fmt.Sprintf("want an integer from %d to %d", lo, hi))
			return
		}
		*dst = n
	}
	integer64 := func(name string, dst *int64, lo, hi int64) {
		v, ok := get(name)
		if !ok {
			return
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < lo || n > hi {
			bad(name, v, fmt.Sprintf("want an integer from %d to %d", lo, hi))
			return
		}
		*dst = n
	}

	if v, ok := get(EnvOutputBucket); ok {
		if why := checkBucketName(v); why != "" {
			bad(EnvOutputBucket, v, why)
		} else {
			c.OutputBucket = v
		}
	}
	// The prefix is not trimmed: a key may legitimately contain spaces.
	if v := getenv(EnvOutputPrefix); v != "" {
		if why := checkPrefix(v); why != "" {
			bad(EnvOutputPrefix, v, why)
		} else {
			c.OutputPrefix = v
		}
	}
	if v, ok := get(EnvDetector); ok {
		switch d := strings.ToLower(v); d {
		case face.DetectorHOG, face.DetectorCNN:
			c.Detector = d
		default:
			bad(EnvDetector, v, "want hog or cnn")
		}
	}
	integer(EnvUpsample, &c.Upsample, 0, face.MaxUpsample)
	integer(EnvJitter, &c.Jitter, 0, face.MaxJitter)
	integer(EnvMaxSide, &c.MaxSide, 0, maxMaxSide)
	integer64(EnvMaxObjectBytes, &c.MaxObjectBytes, 1, maxObjectBytesLimit)
	integer64(EnvMaxPixels, &c.MaxPixels, 1, maxPixelsLimit)

	if v, ok := get(EnvModels); ok {
		if st, err := os.Stat(v); err != nil || !st.IsDir() {
			bad(EnvModels, v, "not a directory")
		} else {
			c.ModelsDir = v
		}
	} else if root, ok := get(envTaskRoot); ok {
		c.ModelsDir = filepath.Join(root, "models")
	}

	if v, ok := get(EnvBLAS); ok {
		if !blasName.MatchString(v) {
			bad(EnvBLAS, v, "want the name of an OpenBLAS kernel set (Haswell, SkylakeX, …) or auto")
		} else {
			c.BLAS = v
		}
	}

	if err := c.setVectorIndex(getenv(EnvVectorBucket), getenv(EnvVectorIndex)); err != nil {
		errs = append(errs, err)
	}
	if v, ok := get(EnvMetricsNamespace); ok {
		if why := checkMetricsNamespace(v); why != "" {
			bad(EnvMetricsNamespace, v, why)
		} else {
			c.MetricsNamespace = v
		}
	}

	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Params are the encoder settings of c.
func (c Config) Params() face.Params {
	return face.Params{
		Detector: c.Detector,
		Upsample: c.Upsample,
		Jitter:   c.Jitter,
		MaxSide:  c.MaxSide,
		Limits:   imagefmt.Limits{MaxBytes: c.MaxObjectBytes, MaxPixels: c.MaxPixels},
	}
}

// checkBucketName applies S3's general-purpose bucket naming rules, so that
// a typo fails init instead of every write.
func checkBucketName(b string) string {
	if len(b) < 3 || len(b) > 63 {
		return "a bucket name has 3 to 63 characters"
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return "a bucket name has only lower-case letters, digits, '-' and '.'"
		}
	}
	if !isAlnum(b[0]) || !isAlnum(b[len(b)-1]) {
		return "a bucket name starts and ends with a letter or digit"
	}
	if strings.Contains(b, "..") {
		return "a bucket name has no two adjacent dots"
	}
	return ""
}

func isAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// checkPrefix refuses prefixes that cannot be, or are almost certainly not
// meant to be, an S3 key prefix.
func checkPrefix(p string) string {
	switch {
	case !utf8.ValidString(p):
		return "not valid UTF-8"
	case len(p) > maxPrefixLen:
		return fmt.Sprintf("longer than %d bytes", maxPrefixLen)
	case strings.HasPrefix(p, "/"):
		return "S3 keys do not start with '/'; write e.g. encodings/"
	case strings.IndexFunc(p, unicode.IsControl) >= 0:
		return "contains a control character"
	}
	return ""
}

// setVectorIndex takes VECTOR_BUCKET and VECTOR_INDEX: both set (valid S3
// Vectors names) or both unset.
func (c *Config) setVectorIndex(bucket, index string) error {
	bucket, index = strings.TrimSpace(bucket), strings.TrimSpace(index)
	switch {
	case bucket == "" && index == "":
		return nil
	case bucket == "" || index == "":
		return fmt.Errorf("%w: %s=%q, %s=%q: set both to index faces, or neither", ErrConfig, EnvVectorBucket, bucket, EnvVectorIndex, index)
	}
	if err := vectorindex.CheckNames(bucket, index); err != nil {
		return fmt.Errorf("%w: %s/%s: %w", ErrConfig, EnvVectorBucket, EnvVectorIndex, err)
	}
	c.VectorBucket, c.VectorIndex = bucket, index
	return nil
}

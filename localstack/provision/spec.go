package provision

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Defaults applied by Apply and Destroy to zero fields of a Spec.
const (
	DefaultOutputPrefix = "encodings/"
	// DefaultMemoryMB is one full vCPU (Lambda hands out CPU in proportion
	// to memory). An invocation encodes its photo on one thread, so less
	// memory is slower at the same cost and more memory costs more at the
	// same speed (deploy/README.md, "Cost"). A 12 MP photo peaks under
	// 400 MiB, models included.
	DefaultMemoryMB int32 = 1769
	// DefaultTimeoutS leaves room for large images and jitter > 0.
	DefaultTimeoutS int32 = 120
	// DefaultRoleARN is a well-formed role in LocalStack's default account.
	// Emulators accept any role; real AWS needs Spec.RoleARN to name a role
	// Lambda can assume, with S3 read/write on the buckets.
	DefaultRoleARN = "arn:aws:iam::000000000000:role/facevec-lambda"
	// DefaultArchitecture matches the contract's build target.
	DefaultArchitecture = "x86_64"
)

// Function settings that are not configurable: the contract fixes them.
const (
	Runtime = "provided.al2023"
	Handler = "bootstrap"
)

// DefaultSuffixes are the image suffixes that trigger the function. S3 key
// filters are case-sensitive, so the upper-case spellings cameras produce
// (IMG_0001.JPG) are listed too; mixed case (".Jpg") is not covered.
// HEIC/HEIF/AVIF are not decoded, but they trigger the function so that a
// phone upload gets a clear unsupported_format result instead of silence.
var DefaultSuffixes = []string{
	".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".heif", ".avif",
	".JPG", ".JPEG", ".PNG", ".GIF", ".WEBP", ".BMP", ".TIF", ".TIFF", ".HEIC", ".HEIF", ".AVIF",
}

// Triggers reports whether an upload of key to the input bucket invokes
// the function under this spec's suffix filters.
func (s Spec) Triggers(key string) bool {
	suffixes := s.Suffixes
	if len(suffixes) == 0 {
		suffixes = DefaultSuffixes
	}
	for _, suf := range suffixes {
		if strings.HasSuffix(key, suf) {
			return true
		}
	}
	return false
}

// Spec describes one deployment of the function and its trigger.
type Spec struct {
	// InputBucket receives the photos; its notifications trigger the function.
	InputBucket string
	// OutputBucket receives the results (default: InputBucket).
	OutputBucket string
	// OutputPrefix is prepended to result keys (default "encodings/").
	OutputPrefix string
	// FunctionName is the Lambda function's name.
	FunctionName string
	// ZipPath is the deployment package: a zip with an executable
	// "bootstrap" at its root (make package → dist/function.zip).
	ZipPath string
	// Env is extra function environment (DETECTOR, MAX_SIDE, …).
	// OUTPUT_BUCKET and OUTPUT_PREFIX come from the fields above; setting
	// them here to something else is an error.
	Env map[string]string
	// MemoryMB and TimeoutS size the function (defaults DefaultMemoryMB,
	// DefaultTimeoutS).
	MemoryMB, TimeoutS int32
	// RoleARN is the execution role (default DefaultRoleARN, fine for
	// emulators only).
	RoleARN string
	// CodeBucket is where the zip is staged for CreateFunction /
	// UpdateFunctionCode from S3 (default: InputBucket). The package is far
	// over the 50 MB inline (ZipFile) limit, so it must go through S3. The
	// staged object (key ".deploy/<function>/<sha256>.zip") is deleted once
	// Lambda has taken its copy, so no bucket keeps deployment clutter and
	// no extra bucket has to be named globally unique on AWS; a ".zip" key
	// never matches the image suffixes, so staging in the input bucket does
	// not trigger the function.
	CodeBucket string
	// Suffixes that trigger the function (default DefaultSuffixes). Each is
	// its own notification configuration: a filter holds one suffix rule.
	Suffixes []string
	// MaxRetryAttempts, when set (0–2), is written with
	// PutFunctionEventInvokeConfig: how often Lambda retries a failed
	// asynchronous (S3-triggered) invocation. nil leaves it alone.
	MaxRetryAttempts *int32
	// ReservedConcurrency, when set, caps the function's concurrent
	// executions (PutFunctionConcurrency), so that a burst of uploads does
	// not start more environments than the machine can hold: on LocalStack
	// each may be a container with a 73 MB package and its own dlib
	// networks. nil leaves it alone. On AWS it is taken from the account's
	// unreserved concurrency, which must stay at 100 or more.
	ReservedConcurrency *int32
	// Architecture is "x86_64" (default) or "arm64".
	Architecture string
	// SourceAccount, when set, is added to the S3 invoke permission. On
	// real AWS it stops another account's bucket of the same name from
	// invoking the function (bucket ARNs carry no account).
	SourceAccount string
	// VectorBucket and VectorIndex, when set (both), name an S3 Vectors
	// index of the faces: Apply creates it if missing (128-d float32,
	// euclidean; it needs WithVectors), sets the function's VECTOR_BUCKET
	// and VECTOR_INDEX, and subscribes it to ObjectRemoved events too.
	VectorBucket, VectorIndex string
}

// withDefaults returns a copy of s with zero fields filled in.
func (s Spec) withDefaults() Spec {
	if s.OutputBucket == "" {
		s.OutputBucket = s.InputBucket
	}
	if s.OutputPrefix == "" {
		s.OutputPrefix = DefaultOutputPrefix
	}
	if s.MemoryMB == 0 {
		s.MemoryMB = DefaultMemoryMB
	}
	if s.TimeoutS == 0 {
		s.TimeoutS = DefaultTimeoutS
	}
	if s.RoleARN == "" {
		s.RoleARN = DefaultRoleARN
	}
	if s.CodeBucket == "" {
		s.CodeBucket = s.InputBucket
	}
	if s.Suffixes == nil {
		s.Suffixes = DefaultSuffixes
	}
	if s.Architecture == "" {
		s.Architecture = DefaultArchitecture
	}
	s.Env = maps.Clone(s.Env)
	return s
}

var (
	// bucketRE is S3's general-purpose bucket naming rule.
	bucketRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	functionRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	envKeyRE   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	roleRE     = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:iam::\d{12}:role/.+$`)
	ipRE       = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
	accountRE  = regexp.MustCompile(`^\d{12}$`)
)

// reservedEnv are variables the Lambda runtime sets itself; AWS rejects
// functions that try to set them.
var reservedEnv = []string{
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}

func validBucket(what, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%s is empty", what)
	case !bucketRE.MatchString(name) || strings.Contains(name, "..") || ipRE.MatchString(name):
		return fmt.Errorf("%s %q is not a valid S3 bucket name (3–63 characters: lower-case letters, digits, '.', '-')", what, name)
	}
	return nil
}

// validateNames checks what Destroy needs: the names.
func (s Spec) validateNames() error {
	var errs []error
	errs = append(errs, validBucket("InputBucket", s.InputBucket))
	if s.OutputBucket != s.InputBucket {
		errs = append(errs, validBucket("OutputBucket", s.OutputBucket))
	}
	if s.CodeBucket != s.InputBucket && s.CodeBucket != s.OutputBucket {
		errs = append(errs, validBucket("CodeBucket", s.CodeBucket))
	}
	if !functionRE.MatchString(s.FunctionName) {
		errs = append(errs, fmt.Errorf("FunctionName %q is not a valid Lambda function name (1–64 of A–Z a–z 0–9 - _)", s.FunctionName))
	}
	return errors.Join(errs...)
}

// validate checks a defaulted spec for everything Apply needs, so that bad
// input fails before anything is created.
func (s Spec) validate() error {
	errs := []error{s.validateNames()}
	if s.ZipPath == "" {
		errs = append(errs, errors.New("ZipPath is empty"))
	}
	if strings.HasPrefix(s.OutputPrefix, "/") {
		errs = append(errs, fmt.Errorf("OutputPrefix %q starts with '/': S3 keys have no leading slash", s.OutputPrefix))
	}
	if s.MemoryMB < 128 || s.MemoryMB > 10240 {
		errs = append(errs, fmt.Errorf("MemoryMB %d out of range 128–10240", s.MemoryMB))
	}
	if s.TimeoutS < 1 || s.TimeoutS > 900 {
		errs = append(errs, fmt.Errorf("TimeoutS %d out of range 1–900", s.TimeoutS))
	}
	if !roleRE.MatchString(s.RoleARN) {
		errs = append(errs, fmt.Errorf("RoleARN %q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", s.RoleARN))
	}
	if s.Architecture != "x86_64" && s.Architecture != "arm64" {
		errs = append(errs, fmt.Errorf("Architecture %q: want x86_64 or arm64", s.Architecture))
	}
	if s.MaxRetryAttempts != nil && (*s.MaxRetryAttempts < 0 || *s.MaxRetryAttempts > 2) {
		errs = append(errs, fmt.Errorf("MaxRetryAttempts %d out of range 0–2", *s.MaxRetryAttempts))
	}
	if s.SourceAccount != "" && !accountRE.MatchString(s.SourceAccount) {
		errs = append(errs, fmt.Errorf("SourceAccount %q is not a 12-digit account ID", s.SourceAccount))
	}
	errs = append(errs, s.validateEnv(), s.validateSuffixes(), s.validateVectorIndex())
	return errors.Join(errs...)
}

func (s Spec) validateEnv() error {
	var errs []error
	for k, v := range s.Env {
		switch {
		case !envKeyRE.MatchString(k):
			errs = append(errs, fmt.Errorf("Env key %q is not a valid variable name", k))
		case isReserved(k):
			errs = append(errs, fmt.Errorf("Env key %q is reserved by the Lambda runtime", k))
		case k == "OUTPUT_BUCKET" && v != s.OutputBucket:
			errs = append(errs, fmt.Errorf("Env OUTPUT_BUCKET=%q contradicts OutputBucket %q: set the field instead", v, s.OutputBucket))
		case k == "OUTPUT_PREFIX" && v != s.OutputPrefix:
			errs = append(errs, fmt.Errorf("Env OUTPUT_PREFIX=%q contradicts OutputPrefix %q: set the field instead", v, s.OutputPrefix))
		case k == "VECTOR_BUCKET" && v != s.VectorBucket, k == "VECTOR_INDEX" && v != s.VectorIndex:
			errs = append(errs, fmt.Errorf("Env %s=%q contradicts VectorBucket/VectorIndex %q/%q: set the fields instead", k, v, s.VectorBucket, s.VectorIndex))
		}
	}
	return errors.Join(errs...)
}

func isReserved(k string) bool { return slices.Contains(reservedEnv, k) }

// validateSuffixes rejects what S3 would reject later, after half the
// deployment was done: empty or duplicate suffixes, and overlapping ones
// (".tiff" and "f"), which S3 refuses to put on the same event type.
func (s Spec) validateSuffixes() error {
	if len(s.Suffixes) == 0 {
		return errors.New("Suffixes is empty: nothing would trigger the function")
	}
	var errs []error
	for i, a := range s.Suffixes {
		if a == "" {
			errs = append(errs, errors.New("Suffixes contains an empty suffix (would match every key, results included)"))
			continue
		}
		if strings.HasSuffix(stagingKey(s.FunctionName, "x"), a) {
			errs = append(errs, fmt.Errorf("suffix %q would match the staged deployment zip", a))
		}
		if strings.HasSuffix(".json", a) {
			errs = append(errs, fmt.Errorf("suffix %q matches result keys (.json): the function would trigger itself", a))
		}
		for _, b := range s.Suffixes[i+1:] {
			switch {
			case a == b:
				errs = append(errs, fmt.Errorf("suffix %q listed twice", a))
			case strings.HasSuffix(a, b) || strings.HasSuffix(b, a):
				errs = append(errs, fmt.Errorf("suffixes %q and %q overlap; S3 rejects overlapping notification filters", a, b))
			}
		}
	}
	return errors.Join(errs...)
}

// env is the function's full environment.
func (s Spec) env() map[string]string {
	env := maps.Clone(s.Env)
	if env == nil {
		env = map[string]string{}
	}
	env["OUTPUT_BUCKET"] = s.OutputBucket
	env["OUTPUT_PREFIX"] = s.OutputPrefix
	if s.VectorIndex != "" {
		env["VECTOR_BUCKET"] = s.VectorBucket
		env["VECTOR_INDEX"] = s.VectorIndex
	}
	return env
}

// buckets lists the distinct buckets of the spec: input, output, code.
func (s Spec) buckets() []string {
	out := []string{s.InputBucket}
	for _, b := range []string{s.OutputBucket, s.CodeBucket} {
		if b != "" && !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return out
}

package result

// Schema is the value of the "schema" field of every result.
const Schema = "facevec.result/v1"

// DescriptorLen is the length of a dlib ResNet face descriptor.
const DescriptorLen = 128

// Result is one image's outcome, written by the Lambda and printed by the CLI.
type Result struct {
	Schema    string    `json:"schema"`
	Source    Source    `json:"source"`
	Image     ImageInfo `json:"image"`
	Model     Model     `json:"model"`
	Faces     []Face    `json:"faces"`
	TimingsMS Timings   `json:"timings_ms"`
	Error     *Error    `json:"error"`
}

// Source says where the image came from: an S3 object (Lambda) or a file (CLI).
type Source struct {
	File      string `json:"file,omitempty"`
	Bucket    string `json:"bucket,omitempty"`
	Key       string `json:"key,omitempty"`
	ETag      string `json:"etag,omitempty"`
	VersionID string `json:"version_id,omitempty"`
	Size      int64  `json:"size,omitempty"`
}

// ImageInfo describes the decoded, upright image.
type ImageInfo struct {
	Width           int    `json:"width"`
	Height          int    `json:"height"`
	Format          string `json:"format"`
	EXIFOrientation int    `json:"exif_orientation"`
	// DecoderWarnings are what the decoder said about data it decoded
	// around (libjpeg's "Corrupt JPEG data: ..."), so that a damaged JPEG
	// with no faces does not read like a clean photo with none. Absent when
	// there were none. The Lambda also logs them with the request, the CLI
	// prints them to stderr.
	DecoderWarnings []string `json:"decoder_warnings,omitempty"`
}

// Model records the settings and the recognizer that produced the descriptors.
type Model struct {
	Detector         string `json:"detector"`
	Upsample         int    `json:"upsample"`
	Jitter           int    `json:"jitter"`
	Recognizer       string `json:"recognizer"`
	RecognizerSHA256 string `json:"recognizer_sha256"`
	// BLAS is the OpenBLAS kernel set the descriptors were computed with
	// ("Haswell"): sets round differently, so two vectors are bit for bit
	// comparable only when it is the same. Empty in results written
	// before it was recorded.
	BLAS string `json:"blas,omitempty"`
}

// Face is one detected face.
type Face struct {
	Box        Box       `json:"box"`
	Confidence float64   `json:"confidence"`
	Landmarks  [][2]int  `json:"landmarks"`
	Descriptor []float32 `json:"descriptor"`
}

// Box is a dlib rectangle in pixels of the upright full-resolution image,
// clipped to the image bounds.
type Box struct {
	Left   int `json:"left"`
	Top    int `json:"top"`
	Right  int `json:"right"`
	Bottom int `json:"bottom"`
}

// Width of the box in pixels.
func (b Box) Width() int { return b.Right - b.Left }

// Height of the box in pixels.
func (b Box) Height() int { return b.Bottom - b.Top }

// Timings are per-stage wall times in milliseconds.
type Timings struct {
	Decode    float64 `json:"decode"`
	Detect    float64 `json:"detect"`
	Landmarks float64 `json:"landmarks"`
	Encode    float64 `json:"encode"`
	Total     float64 `json:"total"`
}

// New returns an empty result with the schema set and Faces non-nil, so
// that it marshals as "faces": [] rather than null.
func New(src Source) *Result {
	return &Result{Schema: Schema, Source: src, Faces: []Face{}}
}

// Fail records err on r: the code comes from the error (see CodeOf), the
// message from its text, and the faces are emptied as the schema requires.
func (r *Result) Fail(err error) *Result {
	r.Error = &Error{Code: CodeOf(err), Message: err.Error()}
	r.Faces = []Face{}
	return r
}

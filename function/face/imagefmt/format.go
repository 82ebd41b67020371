package imagefmt

// Format is an image format this package can decode. Its value is the
// lower-case name used in the result JSON ("image.format").
type Format string

// The supported formats.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	GIF  Format = "gif"
	WebP Format = "webp"
	BMP  Format = "bmp"
	TIFF Format = "tiff"
)

// Formats lists the supported formats, most common first.
var Formats = []Format{JPEG, PNG, GIF, WebP, BMP, TIFF}

// Supported reports whether f is one of Formats.
func (f Format) Supported() bool {
	switch f {
	case JPEG, PNG, GIF, WebP, BMP, TIFF:
		return true
	}
	return false
}

// Name is the format's usual written name ("JPEG", "WebP"), for messages.
func (f Format) Name() string {
	switch f {
	case JPEG:
		return "JPEG"
	case PNG:
		return "PNG"
	case GIF:
		return "GIF"
	case WebP:
		return "WebP"
	case BMP:
		return "BMP"
	case TIFF:
		return "TIFF"
	case "":
		return "image"
	}
	return string(f)
}

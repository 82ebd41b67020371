package imagefmt

import "github.com/facevec/facevec/result"

// A NativeDecoder decodes, for the files it accepts, the pixels of a
// header already read and checked. Load hands such files to it instead of
// Go's decoders; the encoder uses one to decode JPEG and PNG exactly as
// dlib does.
type NativeDecoder interface {
	// Accepts reports whether the decoder handles files with this header.
	Accepts(h Header) bool
	// Decode returns packed RGB pixels of h.Width×h.Height, stored
	// orientation, and a warning about data it decoded around (or "").
	Decode(data []byte, h Header) (pix []byte, warning string, err error)
}

// Loaded is what Load made of a file: the upright image and what the
// file's header said.
type Loaded struct {
	Image    *RGB     // upright: EXIF orientation applied
	Header   Header   // as stored (Width and Height before orientation)
	Warnings []string // what a native decoder decoded around
}

// Load is the whole pipeline for an untrusted file, run in this order and
// from this one place: ReadHeader (once; the header is handed on), Limits
// on the byte size and the header's dimensions (before any pixel is
// allocated, so a decompression bomb is refused cheaply), a refusal of a
// JPEG whose data is cut short (libjpeg only warns and pads with grey, which
// silently yields wrong or missing faces), the decode (native when given
// and accepting, else Go's decoders; see Decode), and Upright.
//
// native may be nil. On error, Loaded holds what was read before it.
func Load(data []byte, l Limits, native NativeDecoder) (Loaded, error) {
	h, err := ReadHeader(data)
	ld := Loaded{Header: h}
	if err != nil {
		return ld, err
	}
	if err := l.Check(int64(len(data)), h); err != nil {
		return ld, err
	}
	if h.Truncated {
		return ld, result.Errorf(result.CodeDecodeFailed, "JPEG data is truncated (no end-of-image marker after the image data)")
	}
	var img *RGB
	if native != nil && native.Accepts(h) {
		pix, warning, err := native.Decode(data, h)
		if warning != "" {
			ld.Warnings = append(ld.Warnings, warning)
		}
		if err != nil {
			return ld, result.Errorf(result.CodeDecodeFailed, "%s: %v", h.Format.Name(), err)
		}
		img = &RGB{Pix: pix, Width: h.Width, Height: h.Height}
	} else if img, err = decodeGo(data, h); err != nil {
		return ld, err
	}
	ld.Image = img.Upright(h.Orientation)
	return ld, nil
}

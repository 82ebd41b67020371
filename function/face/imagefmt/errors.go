package imagefmt

import (
	"errors"
	"fmt"
	"image/jpeg"
	"image/png"
	"io"
	"strings"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/facevec/facevec/result"
)

// isUnsupported reports whether a Go decoder refused a valid but
// unimplemented variant (12-bit or arithmetic JPEG, BMP with RLE, TIFF with
// JPEG compression...), as opposed to corrupt data.
func isUnsupported(err error) bool {
	var (
		je jpeg.UnsupportedError
		pe png.UnsupportedError
		te tiff.UnsupportedError
	)
	return errors.As(err, &je) || errors.As(err, &pe) || errors.As(err, &te) ||
		errors.Is(err, bmp.ErrUnsupported)
}

// isTruncation reports whether a decoder ran out of data. Some decoders
// format the io error into their own message instead of wrapping it
// (image/gif), or report a short stream in their own words (image/png's
// "not enough pixel data", image/gif's "not enough image data").
func isTruncation(err error) bool {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	msg := err.Error()
	return strings.HasSuffix(msg, io.ErrUnexpectedEOF.Error()) ||
		strings.HasSuffix(msg, "not enough pixel data") || strings.HasSuffix(msg, "not enough image data")
}

// resaveHint is the user's fix for a variant we cannot decode.
func resaveHint(f Format) string {
	if f == JPEG {
		return "re-save it as a standard 8-bit JPEG or as PNG"
	}
	return convertHint
}

// decodeError wraps a Go decoder's pixel-decoding error with a plain reason.
func decodeError(f Format, err error) error {
	var p *DecoderPanicError
	switch {
	case errors.As(err, &p):
		return err
	case isTruncation(err):
		return result.Errorf(result.CodeDecodeFailed, "truncated %s: the file ends before the image data is complete", f.Name())
	case isUnsupported(err) && f != PNG:
		return result.Errorf(result.CodeUnsupportedFormat, "unsupported %s variant (%v); %s", f.Name(), err, resaveHint(f))
	}
	return result.Errorf(result.CodeDecodeFailed, "corrupt %s image data: %v", f.Name(), err)
}

// DecoderPanicError reports that a third-party decoder panicked on
// malformed input. Decode recovers such panics so that one hostile file
// cannot take down a worker; it wraps result.ErrDecodeFailed.
type DecoderPanicError struct {
	Format Format
	Value  any    // what the decoder panicked with
	Stack  []byte // the decoder's stack when it panicked, for the caller's log
}

func (e *DecoderPanicError) Error() string {
	return fmt.Sprintf("corrupt %s image data: the decoder failed (%v)", e.Format.Name(), e.Value)
}

// Unwrap makes errors.Is(err, result.ErrDecodeFailed) true.
func (e *DecoderPanicError) Unwrap() error { return result.ErrDecodeFailed }

// Package imagefmt is the pure-Go half of facevec's image loading: it
// recognises formats from magic bytes, reads dimensions and EXIF orientation
// from headers, refuses oversized images before any pixel is allocated,
// decodes the formats dlib cannot (GIF, WebP, BMP, TIFF, CMYK JPEG) and
// turns any Go colour model into packed 8-bit RGB.
//
// Load is the pipeline for an untrusted file, and the one place it runs:
//
//	ReadHeader          // once: format, size, orientation; decode_failed on a broken header
//	Limits.Check        // too_large before any allocation
//	Header.Truncated    // a JPEG cut short is refused, not padded with grey
//	NativeDecoder or Go // the encoder plugs dlib's loaders in for JPEG and PNG
//	Upright             // EXIF orientation applied
//
// Every error wraps one of the sentinels
// of package result, so result.CodeOf maps it to the schema's error code,
// and its text says what is wrong in plain words. Nothing here logs: a
// decoder panic comes back as a *DecoderPanicError with its stack.
//
// Everything here is meant to be safe on hostile input: header parsers are
// bounded by the input length, never follow offsets in loops and never
// allocate from a size field they have not checked. The decode verifies that
// the decoder sees the same dimensions as the header so that the check holds.
package imagefmt

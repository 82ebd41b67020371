// Package imagefmt is the pure-Go half of facevec's image loading: it
// recognises formats from magic bytes, reads dimensions and EXIF orientation
// from headers, refuses oversized images before any pixel is allocated,
// decodes the formats dlib cannot (GIF, WebP, BMP, TIFF, CMYK JPEG) and
// turns any Go colour model into packed 8-bit RGB.
//
// The intended order of calls for an untrusted file is
//
//	f, err := imagefmt.Sniff(data)          // unsupported_format / decode_failed
//	h, err := imagefmt.ReadHeader(data)     // decode_failed on a broken header
//	err = limits.Check(int64(len(data)), h) // too_large before any allocation
//	im, err := imagefmt.Decode(data, f)     // or dlib for JPEG and PNG
//	im = im.Upright(h.Orientation)
//
// (Load does all of it in one call.) Every error wraps one of the sentinels
// of package result, so result.CodeOf maps it to the schema's error code,
// and its text says what is wrong in plain words.
//
// Everything here is meant to be safe on hostile input: header parsers are
// bounded by the input length, never follow offsets in loops and never
// allocate from a size field they have not checked. Decode trusts the
// caller to have run Limits.Check on the header first; it verifies that the
// decoder sees the same dimensions as ReadHeader so that the check holds.
package imagefmt

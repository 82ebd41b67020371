package result

import (
	"context"
	"errors"
	"fmt"
)

// Code is one of the error codes of the result schema.
type Code string

// The error codes of facevec.result/v1.
const (
	CodeUnsupportedFormat Code = "unsupported_format"
	CodeDecodeFailed      Code = "decode_failed"
	CodeTooLarge          Code = "too_large"
	CodeNotFound          Code = "not_found"
	CodeAccessDenied      Code = "access_denied"
	CodeTimeout           Code = "timeout"
	CodeInternal          Code = "internal"
)

// Sentinel errors, one per code. Wrap them with context
// (fmt.Errorf("decode %s: %w", key, ErrDecodeFailed)) and test with errors.Is.
var (
	ErrUnsupportedFormat = &codeError{CodeUnsupportedFormat, "unsupported image format"}
	ErrDecodeFailed      = &codeError{CodeDecodeFailed, "image could not be decoded"}
	ErrTooLarge          = &codeError{CodeTooLarge, "image is too large"}
	ErrNotFound          = &codeError{CodeNotFound, "object not found"}
	ErrAccessDenied      = &codeError{CodeAccessDenied, "access denied"}
	ErrTimeout           = &codeError{CodeTimeout, "timed out"}
	ErrInternal          = &codeError{CodeInternal, "internal error"}
)

var sentinels = []*codeError{
	ErrUnsupportedFormat, ErrDecodeFailed, ErrTooLarge, ErrNotFound,
	ErrAccessDenied, ErrTimeout, ErrInternal,
}

type codeError struct {
	code Code
	msg  string
}

func (e *codeError) Error() string { return e.msg }

// Error is the "error" object of a result.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Is makes errors.Is(resultErr, ErrTooLarge) work on decoded results.
func (e *Error) Is(target error) bool {
	if ce, ok := target.(*codeError); ok {
		return ce.code == e.Code
	}
	return false
}

// Errorf returns an error that wraps the sentinel of code with a message.
// The message should name the object and the reason in plain words; it is
// the whole error text (the sentinel only supplies the code).
func Errorf(code Code, format string, args ...any) error {
	e := &messageError{msg: fmt.Sprintf(format, args...), sentinel: ErrInternal}
	for _, s := range sentinels {
		if s.code == code {
			e.sentinel = s
		}
	}
	return e
}

// messageError is a plain-words message carrying a sentinel for errors.Is.
type messageError struct {
	msg      string
	sentinel *codeError
}

func (e *messageError) Error() string { return e.msg }
func (e *messageError) Unwrap() error { return e.sentinel }

// CodeOf maps an error to a schema code. Context deadline errors are
// timeouts; anything unrecognised is internal.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return s.code
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return CodeTimeout
	}
	return CodeInternal
}

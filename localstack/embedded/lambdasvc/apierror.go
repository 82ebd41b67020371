package lambdasvc

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors of the Go API (InvokeAsync, Invoke). Test with errors.Is.
var (
	ErrFunctionNotFound = errors.New("lambdasvc: function not found")
	ErrInvalidPayload   = errors.New("lambdasvc: invalid payload")
	ErrPayloadTooLarge  = errors.New("lambdasvc: payload too large")
	ErrClosed           = errors.New("lambdasvc: service closed")
)

// apiError is an error of the Lambda REST API, rendered the way the service
// does: the type in X-Amzn-Errortype (which the SDKs read first) and a JSON
// body with Type and the message.
type apiError struct {
	status   int
	code     string // ResourceNotFoundException, ...
	msg      string
	sentinel error
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func (e *apiError) Unwrap() error { return e.sentinel }

func errNotFound(format string, args ...any) *apiError {
	return &apiError{http.StatusNotFound, "ResourceNotFoundException", fmt.Sprintf(format, args...), ErrFunctionNotFound}
}

func errFunctionNotFound(arn string) *apiError {
	return errNotFound("Function not found: %s", arn)
}

func errConflict(format string, args ...any) *apiError {
	return &apiError{http.StatusConflict, "ResourceConflictException", fmt.Sprintf(format, args...), nil}
}

func errInvalidParameter(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidParameterValueException", fmt.Sprintf(format, args...), nil}
}

func errInvalidContent(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidRequestContentException", fmt.Sprintf(format, args...), ErrInvalidPayload}
}

func errTooLarge(format string, args ...any) *apiError {
	return &apiError{http.StatusRequestEntityTooLarge, "RequestTooLargeException", fmt.Sprintf(format, args...), ErrPayloadTooLarge}
}

func errUnsupported(format string, args ...any) *apiError {
	return &apiError{http.StatusNotImplemented, "UnsupportedOperationException", fmt.Sprintf(format, args...), nil}
}

func errServiceClosed() *apiError {
	return &apiError{http.StatusServiceUnavailable, "ServiceException", "the embedded Lambda service is shut down", ErrClosed}
}

func errService(format string, args ...any) *apiError {
	return &apiError{http.StatusInternalServerError, "ServiceException", fmt.Sprintf(format, args...), nil}
}

// writeError renders err; anything that is not an *apiError is a 500
// ServiceException, so a bug never turns into a hung or empty response.
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, ErrClosed):
		ae = errServiceClosed()
	default:
		ae = errService("%v", err)
	}
	// ResourceNotFoundException spells its member "Message", the others
	// "message" (the service model, which the SDKs decode by exact name).
	body := map[string]string{"Type": "User"}
	if ae.code == "ResourceNotFoundException" {
		body["Message"] = ae.msg
	} else {
		body["message"] = ae.msg
	}
	if ae.status >= 500 {
		body["Type"] = "Service"
	}
	w.Header().Set("X-Amzn-Errortype", ae.code)
	writeJSON(w, ae.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own response types get here; a failure is a bug.
		status, b = http.StatusInternalServerError, []byte(`{"Type":"Service","message":"encode response"}`)
		w.Header().Set("X-Amzn-Errortype", "ServiceException")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

package lambdasvc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
)

// maxClientContext is Lambda's limit for X-Amz-Client-Context (base64).
const maxClientContext = 3583

func (s *Service) invokeAPI(w http.ResponseWriter, r *http.Request, args []string) {
	f, aerr := s.lookup(args[0], r.URL.Query().Get("Qualifier"))
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	invType := r.Header.Get("X-Amz-Invocation-Type")
	if invType == "" {
		invType = "RequestResponse"
	}
	limit := maxSyncPayload
	switch invType {
	case "RequestResponse", "DryRun":
	case "Event":
		limit = maxAsyncPayload
	default:
		writeError(w, errInvalidParameter("1 validation error detected: Value '%s' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]", invType))
		return
	}
	logType := r.Header.Get("X-Amz-Log-Type")
	if logType != "" && logType != "None" && logType != "Tail" {
		writeError(w, errInvalidParameter("1 validation error detected: Value '%s' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]", logType))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		writeError(w, errInvalidContent("could not read the request body: %v", err))
		return
	}
	payload, aerr := checkPayload(body, limit)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	clientContext, aerr := decodeClientContext(r.Header.Get("X-Amz-Client-Context"))
	if aerr != nil {
		writeError(w, aerr)
		return
	}

	switch invType {
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		id, err := s.enqueue(r.Context(), f.arn, payload)
		if err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set("X-Amzn-Requestid", id)
		w.WriteHeader(http.StatusAccepted)
		return
	}

	traceID := r.Header.Get("X-Amzn-Trace-Id")
	if traceID == "" {
		traceID = newTraceID()
	}
	res, err := s.execute(r.Context(), f, invokeRequest{
		requestID:     newUUID(),
		payload:       payload,
		traceID:       traceID,
		clientContext: clientContext,
	})
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// The caller went away while waiting for a free environment.
		writeError(w, errService("invocation abandoned: %v", err))
		return
	default: // closed, or the function deleted meanwhile
		writeError(w, err)
		return
	}
	h := w.Header()
	h.Set("X-Amzn-Requestid", res.RequestID)
	h.Set("X-Amz-Executed-Version", latest)
	if res.FunctionError != "" {
		h.Set("X-Amz-Function-Error", res.FunctionError)
	}
	if logType == "Tail" {
		h.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString([]byte(res.LogTail)))
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(res.Payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.Payload)
}

// decodeClientContext turns X-Amz-Client-Context (base64 JSON) into the
// JSON the runtime receives.
func decodeClientContext(v string) (string, *apiError) {
	if v == "" {
		return "", nil
	}
	if len(v) > maxClientContext {
		return "", errInvalidContent("Client context must be at most %d bytes (base64)", maxClientContext)
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || !json.Valid(b) {
		return "", errInvalidContent("Client context must be a valid Base64-encoded JSON object.")
	}
	return string(b), nil
}

package lambdasvc

import (
	"net/http"
	"time"
)

// Lambda's defaults for asynchronous invocation.
const (
	defaultMaxRetries = 2
	defaultMaxAge     = 21600 // seconds
)

// eventInvokeConfig is a function's asynchronous invocation settings; nil
// fields were not set and mean the default.
type eventInvokeConfig struct {
	retries      *int
	maxAge       *int
	lastModified time.Time
}

type destination struct {
	Destination string `json:"Destination,omitempty"`
}

type destinationConfig struct {
	OnSuccess *destination `json:"OnSuccess,omitempty"`
	OnFailure *destination `json:"OnFailure,omitempty"`
}

type eventInvokeConfigInput struct {
	MaximumRetryAttempts     *int               `json:"MaximumRetryAttempts"`
	MaximumEventAgeInSeconds *int               `json:"MaximumEventAgeInSeconds"`
	DestinationConfig        *destinationConfig `json:"DestinationConfig"`
}

type eventInvokeConfigOutput struct {
	LastModified             float64           `json:"LastModified"` // epoch seconds
	FunctionArn              string            `json:"FunctionArn"`
	MaximumRetryAttempts     *int              `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int              `json:"MaximumEventAgeInSeconds,omitempty"`
	DestinationConfig        destinationConfig `json:"DestinationConfig"`
}

// asyncLimits returns the effective retry count and event age limit.
func (f *function) asyncLimits() (retries int, maxAge time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	retries, age := defaultMaxRetries, defaultMaxAge
	if f.eic != nil && f.eic.retries != nil {
		retries = *f.eic.retries
	}
	if f.eic != nil && f.eic.maxAge != nil {
		age = *f.eic.maxAge
	}
	return retries, time.Duration(age) * time.Second
}

func checkEventInvokeConfig(in *eventInvokeConfigInput) *apiError {
	if v := in.MaximumRetryAttempts; v != nil && (*v < 0 || *v > 2) {
		return errInvalidParameter("1 validation error detected: Value '%d' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value between 0 and 2", *v)
	}
	if v := in.MaximumEventAgeInSeconds; v != nil && (*v < 60 || *v > 21600) {
		return errInvalidParameter("1 validation error detected: Value '%d' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 21600", *v)
	}
	if d := in.DestinationConfig; d != nil &&
		((d.OnSuccess != nil && d.OnSuccess.Destination != "") || (d.OnFailure != nil && d.OnFailure.Destination != "")) {
		return errInvalidParameter("destinations (DestinationConfig) are not supported by the embedded Lambda; failed events are kept in its dead-letter list")
	}
	return nil
}

// putEventInvokeConfig replaces the function's asynchronous invocation
// settings: fields left out go back to their defaults.
func (s *Service) putEventInvokeConfig(w http.ResponseWriter, r *http.Request, args []string) {
	var in eventInvokeConfigInput
	if aerr := readJSON(r, maxConfigRequest, "PutFunctionEventInvokeConfig", &in); aerr != nil {
		writeError(w, aerr)
		return
	}
	f, aerr := s.lookup(args[0], r.URL.Query().Get("Qualifier"))
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if aerr := checkEventInvokeConfig(&in); aerr != nil {
		writeError(w, aerr)
		return
	}
	f.mu.Lock()
	f.eic = &eventInvokeConfig{retries: in.MaximumRetryAttempts, maxAge: in.MaximumEventAgeInSeconds, lastModified: time.Now()}
	out := f.eventInvokeConfigOutput()
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Service) getEventInvokeConfig(w http.ResponseWriter, r *http.Request, args []string) {
	f, aerr := s.lookup(args[0], r.URL.Query().Get("Qualifier"))
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.eic == nil {
		writeError(w, errNotFound("The function %s:%s doesn't have an EventInvokeConfig", f.arn, latest))
		return
	}
	writeJSON(w, http.StatusOK, f.eventInvokeConfigOutput())
}

// eventInvokeConfigOutput renders f.eic; the caller holds f.mu.
func (f *function) eventInvokeConfigOutput() eventInvokeConfigOutput {
	return eventInvokeConfigOutput{
		LastModified:             float64(f.eic.lastModified.UnixMilli()) / 1000,
		FunctionArn:              f.arn + ":" + latest,
		MaximumRetryAttempts:     f.eic.retries,
		MaximumEventAgeInSeconds: f.eic.maxAge,
		DestinationConfig:        destinationConfig{OnSuccess: &destination{}, OnFailure: &destination{}},
	}
}

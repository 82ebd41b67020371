package handler

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/facevec/facevec/result"
)

// EnvMetricsNamespace turns on CloudWatch metrics in the embedded metric
// format (EMF): the CloudWatch namespace they go to. Unset: none (custom
// metrics are billed per metric and month).
const EnvMetricsNamespace = "METRICS_NAMESPACE"

// maxMetricsNamespace is CloudWatch's limit on a namespace's length.
const maxMetricsNamespace = 255

// checkMetricsNamespace is CloudWatch's rule: 1-255 characters, not
// starting with "AWS/", which AWS keeps for its own services.
func checkMetricsNamespace(ns string) string {
	switch {
	case len(ns) > maxMetricsNamespace:
		return fmt.Sprintf("at most %d characters", maxMetricsNamespace)
	case strings.HasPrefix(ns, "AWS/"):
		return `"AWS/" is reserved for AWS's own metrics`
	case strings.ContainsFunc(ns, func(r rune) bool { return r < 0x20 || r > 0x7e }):
		return "printable ASCII only"
	}
	return ""
}

// maxEMFValues is how many values one EMF metric may carry in a line.
const maxEMFValues = 100

// metrics writes one EMF line per invocation (photos, faces, skipped,
// retryable, each photo's encode time) and one per error code present
// (errors by code), to w, which Lambda sends to the function's log group,
// where CloudWatch extracts the metrics. A nil *metrics writes nothing.
type metrics struct {
	mu       sync.Mutex
	w        io.Writer
	ns, name string // namespace; the function's name, the FunctionName dimension
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

// line writes one EMF object: the _aws metadata and the values beside it.
func (m *metrics) line(now time.Time, dims []string, values map[string]any, units map[string]string) error {
	doc := map[string]any{}
	maps.Copy(doc, values)
	d := emfDirective{Namespace: m.ns, Dimensions: [][]string{dims}}
	for _, name := range slices.Sorted(maps.Keys(units)) {
		d.Metrics = append(d.Metrics, emfMetric{Name: name, Unit: units[name]})
	}
	doc["_aws"] = map[string]any{"Timestamp": now.UnixMilli(), "CloudWatchMetrics": []emfDirective{d}}
	data, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err = m.w.Write(append(data, '\n'))
	return err
}

// invocation records what one invocation did.
func (m *metrics) invocation(now time.Time, results []Summary, retryable int) error {
	if m == nil {
		return nil
	}
	photos, faces, skipped := 0, 0, 0
	encodeMS := []float64{}
	errs := map[result.Code]int{}
	for _, s := range results {
		if s.Skipped != "" {
			skipped++
			continue
		}
		photos++
		faces += s.Faces
		if s.encodeMS > 0 && len(encodeMS) < maxEMFValues {
			encodeMS = append(encodeMS, s.encodeMS)
		}
		if s.Error != nil {
			errs[*s.Error]++
		}
	}
	units := map[string]string{"Photos": "Count", "Faces": "Count", "Skipped": "Count", "Retryable": "Count"}
	values := map[string]any{"FunctionName": m.name, "Photos": photos, "Faces": faces, "Skipped": skipped, "Retryable": retryable}
	if len(encodeMS) > 0 {
		units["EncodeMs"] = "Milliseconds"
		values["EncodeMs"] = encodeMS
	}
	if err := m.line(now, []string{"FunctionName"}, values, units); err != nil {
		return err
	}
	for _, code := range slices.Sorted(maps.Keys(errs)) {
		if err := m.line(now, []string{"FunctionName", "ErrorCode"},
			map[string]any{"FunctionName": m.name, "ErrorCode": string(code), "Errors": errs[code]},
			map[string]string{"Errors": "Count"}); err != nil {
			return err
		}
	}
	return nil
}

// WithMetricsOutput sends the EMF lines (METRICS_NAMESPACE) to w instead of
// standard output; fn names the function in their FunctionName dimension.
func WithMetricsOutput(w io.Writer, fn string) Option {
	return func(h *Handler) {
		if h.metrics != nil {
			h.metrics = &metrics{w: w, ns: h.metrics.ns, name: fn}
		}
	}
}

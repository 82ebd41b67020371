package handler_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/facevec/facevec/function/handler"
)

// TestEMFMetrics: with METRICS_NAMESPACE the handler writes CloudWatch
// embedded-metric-format lines per invocation: photos, faces, skipped,
// retryable, each photo's encode time, and errors by code (the platform
// team's list, issue #28). Without it, nothing.
func TestEMFMetrics(t *testing.T) {
	st := newStack(t, "m-in", "m-out")
	cfg := handler.Config{OutputBucket: "m-out", OutputPrefix: "encodings/", Detector: "hog", Upsample: 1, MaxSide: 2000,
		MaxObjectBytes: 25 << 20, MaxPixels: 50e6, MetricsNamespace: "facevec/test"}
	var out bytes.Buffer
	h, _ := newHandler(t, st, cfg, handler.WithMetricsOutput(&out, "facevec-encoder"))
	ev := event(st.upload(t, "m-in", "one.jpg", testImage(t, "one")), st.upload(t, "m-in", "noface.jpg", testImage(t, "noface")),
		st.upload(t, "m-in", "broken.jpg", []byte("not a jpeg at all")))
	if _, err := h.Handle(ctxT(t), ev); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	var lines []map[string]any
	for l := range strings.Lines(out.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("EMF line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 {
		t.Fatalf("%d EMF lines, want 2 (the invocation, unsupported_format):\n%s", len(lines), out.String())
	}
	main, errLine := lines[0], lines[1]
	directive := func(m map[string]any) map[string]any {
		cw, _ := m["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)
		if len(cw) != 1 {
			t.Fatalf("line %v: want one CloudWatchMetrics directive", m)
		}
		return cw[0].(map[string]any)
	}
	d := directive(main)
	if d["Namespace"] != "facevec/test" || canon(d["Dimensions"]) != `[["FunctionName"]]` ||
		canon(d["Metrics"]) != `[{"Name":"EncodeMs","Unit":"Milliseconds"},{"Name":"Faces","Unit":"Count"},{"Name":"Photos","Unit":"Count"},{"Name":"Retryable","Unit":"Count"},{"Name":"Skipped","Unit":"Count"}]` {
		t.Errorf("invocation directive %s", canon(d))
	}
	if main["FunctionName"] != "facevec-encoder" || main["Photos"] != 3.0 || main["Faces"] != 1.0 || main["Skipped"] != 0.0 || main["Retryable"] != 0.0 {
		t.Errorf("invocation values %s: want 3 photos, 1 face", canon(main))
	}
	if ms, _ := main["EncodeMs"].([]any); len(ms) < 2 {
		t.Errorf("EncodeMs %v: want the encode time of each decoded photo", main["EncodeMs"])
	}
	if d := directive(errLine); canon(d["Dimensions"]) != `[["FunctionName","ErrorCode"]]` || errLine["ErrorCode"] != "unsupported_format" || errLine["Errors"] != 1.0 {
		t.Errorf("error line %s: want Errors 1 for unsupported_format (bytes that are no image)", canon(errLine))
	}
	if _, ok := main["_aws"].(map[string]any)["Timestamp"].(float64); !ok {
		t.Errorf("no _aws.Timestamp")
	}

	// Off without a namespace.
	cfg.MetricsNamespace = ""
	out.Reset()
	h2, _ := newHandler(t, st, cfg, handler.WithMetricsOutput(&out, "facevec-encoder"))
	if _, err := h2.Handle(ctxT(t), event(st.upload(t, "m-in", "two.jpg", testImage(t, "one")))); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Errorf("EMF written without METRICS_NAMESPACE: %s", out.String())
	}
}

func TestMetricsNamespaceChecked(t *testing.T) {
	for _, ns := range []string{"AWS/Lambda", strings.Repeat("n", 256), "tab\there"} {
		_, err := handler.ConfigFromEnv(func(k string) string {
			if k == handler.EnvMetricsNamespace {
				return ns
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), handler.EnvMetricsNamespace) {
			t.Errorf("METRICS_NAMESPACE=%q: %v, want an error naming it", ns, err)
		}
	}
}

// canon is v as compact JSON, for comparing decoded documents.
func canon(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "!" + err.Error()
	}
	return string(b)
}

//go:build e2e

package reliability

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Log lines of the function (function/handler) the tests count.
const (
	msgWritten      = "result written"
	msgErrorWritten = "error result written"
	msgRetry        = "record failed; the invocation will be retried"
	msgSkipped      = "record skipped"
	msgPanicked     = "record panicked"
)

// logLine is one JSON log line of the function.
type logLine map[string]any

func (l logLine) str(k string) string {
	s, _ := l[k].(string)
	return s
}

// parseLines returns the JSON lines of out; the embedded Lambda's
// START/END/REPORT lines and anything else that is not JSON are skipped.
func parseLines(out string) []logLine {
	var lines []logLine
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var m logLine
		if json.Unmarshal([]byte(l), &m) == nil {
			lines = append(lines, m)
		}
	}
	return lines
}

// countByKey counts the lines with message msg per "key" attribute.
func countByKey(lines []logLine, msg string) map[string]int {
	n := map[string]int{}
	for _, l := range lines {
		if l.str("msg") == msg {
			n[l.str("key")]++
		}
	}
	return n
}

// writes is how many results (with or without error) the function logged
// writing, per input key.
func writes(lines []logLine) map[string]int {
	n := countByKey(lines, msgWritten)
	for k, v := range countByKey(lines, msgErrorWritten) {
		n[k] += v
	}
	return n
}

// assertJSONLogs fails for every line of the function's output that is
// neither a JSON log line nor one of Lambda's START/END/REPORT lines: the
// function logs JSON for CloudWatch Logs Insights, and anything else (a
// stray SDK warning, a C library message such as libjpeg's "Corrupt JPEG
// data", a stack trace) breaks that.
func assertJSONLogs(t *testing.T, logs string) {
	t.Helper()
	for _, l := range strings.Split(logs, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "", strings.HasPrefix(l, "START RequestId: "), strings.HasPrefix(l, "END RequestId: "),
			strings.HasPrefix(l, "REPORT RequestId: "):
		case strings.HasPrefix(l, "{") && json.Valid([]byte(l)):
		default:
			t.Errorf("function output line is not a JSON log line: %q", l)
		}
	}
}

// crashMarkers are what a Go panic, a runtime fatal error or a C++ abort
// leave in a process's output.
var crashMarkers = []string{
	"panic:", "goroutine ", "fatal error:", "SIGSEGV", "SIGABRT", "terminate called",
	"Runtime.ExitError", msgPanicked,
}

// assertNoCrash fails when the function logs show a crashed process.
func assertNoCrash(t *testing.T, logs string) {
	t.Helper()
	for _, m := range crashMarkers {
		if i := strings.Index(logs, m); i >= 0 {
			t.Errorf("function logs show a crash (%q): …%s…", m, excerpt(logs, i))
		}
	}
}

// credentialMarkers never belong in a log: they are how SigV4 credentials
// and signatures look on the wire and in environment dumps.
var credentialMarkers = []string{
	"Authorization", "AWS4-HMAC-SHA256", "X-Amz-Signature", "Signature=", "Credential=",
	"AWS_SECRET_ACCESS_KEY", "aws_secret_access_key", "SecretAccessKey", "AWS_SESSION_TOKEN",
}

// assertLogHygiene fails the test for every finding of logFindings.
func assertLogHygiene(t *testing.T, what, logs string, secrets, tokens []string) {
	t.Helper()
	for _, f := range logFindings(logs, secrets, tokens) {
		t.Errorf("%s: %s", what, f)
	}
}

// logFindings scans logs (the function's or the stack's) for credentials
// and for the bytes of uploaded objects, and describes each hit.
//
// secrets are values that must not appear at all (the test clients'
// secret access key). The function's own secret is the stand-in's fixed
// "test", which is too common a word to search for as a substring: a JSON
// string value equal to it is flagged instead. tokens are strings that
// only exist inside uploaded objects; they are looked for raw, in hex and
// in base64 at each of the three byte alignments.
func logFindings(logs string, secrets, tokens []string) []string {
	var found []string
	hit := func(format string, args ...any) { found = append(found, fmt.Sprintf(format, args...)) }
	for _, m := range credentialMarkers {
		if i := strings.Index(logs, m); i >= 0 {
			hit("contain %q: …%s…", m, excerpt(logs, i))
		}
	}
	for _, s := range secrets {
		if i := strings.Index(logs, s); i >= 0 {
			hit("contain the secret access key: …%s…", excerpt(logs, i))
		}
	}
	for _, l := range parseLines(logs) {
		for k, v := range l {
			if v == "test" {
				hit("attribute %q of %q has the value of the function's secret access key", k, l.str("msg"))
			}
		}
	}
	for _, tok := range tokens {
		for _, enc := range encodings(tok) {
			if i := strings.Index(logs, enc); i >= 0 {
				hit("contain bytes of an uploaded object (%q as %q): …%s…", tok, enc, excerpt(logs, i))
			}
		}
	}
	// Image data in any of the usual dumps: raw JPEG/PNG signatures, their
	// base64 and hex spellings.
	for _, sig := range imageSignatures {
		if i := strings.Index(logs, sig); i >= 0 {
			hit("contain image data (%q): …%s…", sig, excerpt(logs, i))
		}
	}
	return found
}

// imageSignatures are the starts of JPEG and PNG files, raw, in base64 and
// in hex.
var imageSignatures = []string{"\xff\xd8\xff", "\x89PNG\r\n", "/9j/", "iVBORw0KGgo", "ffd8ffe", "89504e47"}

// encodings returns s raw, in hex, and the stable middle part of its
// base64 encoding at each alignment, so that s is found inside a longer
// encoded blob wherever it sits.
func encodings(s string) []string {
	out := []string{s, hex.EncodeToString([]byte(s))}
	for pad := range 3 {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, pad), s...))
		// The first group mixes in the padding bytes and the last group
		// the bytes after s; drop both.
		if len(enc) > 12 {
			out = append(out, enc[4:len(enc)-4])
		}
	}
	return out
}

func excerpt(s string, i int) string {
	lo, hi := max(0, i-120), min(len(s), i+120)
	return s[lo:hi]
}

// TestLogFindings checks the scanner itself, so that a clean scan of the
// real logs means something: each kind of leak is found wherever it sits,
// and ordinary log lines pass.
func TestLogFindings(t *testing.T) {
	const secret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	const token = "facevec-e2e-payload-0123456789ab-007"
	// The middle of an object: only the token can give it away.
	object := []byte("..\x00\x00\x00\x2dtEXtComment\x00" + token + "\x8e\x1f\x00\x00IDAT..")
	clean := `{"time":"t","level":"INFO","msg":"result written","key":"load/img-007.png","etag":"9b2c","faces":1}
START RequestId: 1 Version: $LATEST
{"level":"WARN","msg":"error result written","code":"unsupported_format","error":"s3://in/a.jpg: not an image: looks like text"}`
	if f := logFindings(clean, []string{secret}, []string{token}); len(f) != 0 {
		t.Errorf("clean log flagged: %q", f)
	}
	leaks := map[string]string{
		"authorization header": `{"msg":"request","headers":{"Authorization":"AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/s3/aws4_request"}}`,
		"secret":               `{"msg":"configured","key":"` + secret + `"}`,
		"function secret":      `{"msg":"env","aws_secret":"test"}`,
		"raw object":           `{"msg":"body","data":"` + string(object) + `"}`,
		"hex object":           `{"msg":"body","data":"` + hex.EncodeToString(object) + `"}`,
		"PNG start, base64":    `{"msg":"body","b64":"` + base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\n\x00\x00")) + `"}`,
		"JPEG start, raw":      "\xff\xd8\xff\xe0\x00\x10JFIF",
	}
	for shift := range 3 {
		blob := append(bytes.Repeat([]byte{'x'}, shift), object...)
		leaks[fmt.Sprintf("base64 object, shift %d", shift)] = `{"msg":"body","b64":"` + base64.StdEncoding.EncodeToString(blob) + `"}`
	}
	for name, l := range leaks {
		if f := logFindings(clean+"\n"+l, []string{secret}, []string{token}); len(f) == 0 {
			t.Errorf("%s not found in %s", name, l)
		}
	}
}

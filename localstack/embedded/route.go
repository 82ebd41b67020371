package embedded

import (
	"encoding/json"
	"encoding/xml"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/facevec/facevec/localstack/embedded/internal/sigv4"
)

// HealthPath answers GET with the state of each service, like LocalStack's
// /_localstack/health.
const HealthPath = "/_facevec/health"

// LocalStackHealthPath serves the same body at LocalStack's path, so that
// tools that wait for LocalStack (testcontainers' module, scripts polling
// curl localhost:4566/_localstack/health) wait for this stack too.
const LocalStackHealthPath = "/_localstack/health"

// lambdaPathPrefixes are the Lambda API versions (functions, tags and
// event-invoke config, layers and URLs) and the Runtime API, for routing
// unsigned requests.
var lambdaPathPrefixes = []string{"/2015-03-31/", "/2017-03-31/", "/2019-09-25/", "/2018-06-01/runtime/"}

// Health is the body of GET /_facevec/health.
type Health struct {
	Services map[string]string `json:"services"` // service -> "running"
	Edition  string            `json:"edition"`  // always "embedded"
	Region   string            `json:"region"`
}

// router sends each request to the service it is for.
type router struct {
	s3, lambda http.Handler
	vectors    http.Handler // S3 Vectors
	// cloudformation serves requests signed for "cloudformation".
	cloudformation http.Handler
	// sts answers GetCallerIdentity as the account's root.
	sts    http.Handler
	region string
	log    *slog.Logger
	// starting makes the health check say "initializing" until cleared
	// (WithStartingHealth, Server.Ready).
	starting *atomic.Bool
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if (r.URL.Path == HealthPath || r.URL.Path == LocalStackHealthPath) && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		rt.health(w)
		return
	}
	switch svc := serviceOf(r); svc {
	case "s3":
		rt.s3.ServeHTTP(w, r)
	case "lambda":
		rt.lambda.ServeHTTP(w, r)
	case "s3vectors":
		rt.vectors.ServeHTTP(w, r)
	case "cloudformation":
		rt.cloudformation.ServeHTTP(w, r)
	case "sts":
		rt.sts.ServeHTTP(w, r)
	default:
		rt.log.Warn("request for a service the embedded stack does not provide", "service", svc, "method", r.Method, "path", r.URL.Path)
		writeUnknownService(w, svc)
	}
}

// serviceOf names the service a request is for: the SigV4 scope when
// signed, else the path.
func serviceOf(r *http.Request) string {
	if c, ok := sigv4.FromRequest(r); ok {
		return c.Service
	}
	for _, p := range lambdaPathPrefixes {
		if strings.HasPrefix(r.URL.Path, p) {
			return "lambda"
		}
	}
	return "s3"
}

func (rt *router) health(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	state := "running"
	if rt.starting != nil && rt.starting.Load() {
		state = "initializing" // LocalStack's word for a service not ready yet
	}
	_ = json.NewEncoder(w).Encode(Health{
		Services: map[string]string{"s3": state, "lambda": state, "s3vectors": state, "cloudformation": state, "sts": state},
		Edition:  "embedded",
		Region:   rt.region,
	})
}

// writeUnknownService answers in the AWS query-protocol error shape, which
// the SDKs of XML and query services (STS, SQS, SNS...) all decode.
func writeUnknownService(w http.ResponseWriter, svc string) {
	type errorBody struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	body, _ := xml.Marshal(struct {
		XMLName xml.Name  `xml:"ErrorResponse"`
		Error   errorBody `xml:"Error"`
	}{Error: errorBody{
		Type: "Sender", Code: "NotImplemented",
		Message: "the embedded stack serves s3, lambda, s3vectors, cloudformation and sts only; this request was signed for service " + svc,
	}})
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusNotImplemented)
	_, _ = w.Write(body)
}

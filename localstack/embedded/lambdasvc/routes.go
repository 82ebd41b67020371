package lambdasvc

import (
	"fmt"
	"net/http"
	"strings"
)

// routes lists what the stand-in implements: the operations the harness's
// provisioner, the S3 notification path and the stock AWS CLI call. "{}"
// segments are captured, in order, as the handler's arguments. Anything else
// is answered with 501 naming the request.
var routes = []struct {
	pattern string // method and path, with "{}" for each argument
	op      string
	handle  func(s *Service, w http.ResponseWriter, r *http.Request, args []string)
}{
	{"POST /2015-03-31/functions", "CreateFunction", (*Service).createFunction},
	{"GET /2015-03-31/functions", "ListFunctions", (*Service).listFunctions},
	{"GET /2015-03-31/functions/{$}", "ListFunctions", (*Service).listFunctions}, // the AWS CLI's trailing slash
	{"GET /2015-03-31/functions/{}", "GetFunction", (*Service).getFunction},
	{"DELETE /2015-03-31/functions/{}", "DeleteFunction", (*Service).deleteFunction},
	{"GET /2015-03-31/functions/{}/configuration", "GetFunctionConfiguration", (*Service).getFunctionConfiguration},
	{"PUT /2015-03-31/functions/{}/configuration", "UpdateFunctionConfiguration", (*Service).updateFunctionConfiguration},
	{"PUT /2015-03-31/functions/{}/code", "UpdateFunctionCode", (*Service).updateFunctionCode},
	{"GET /2015-03-31/functions/{}/code.zip", "DownloadCode", (*Service).downloadCode},
	{"POST /2015-03-31/functions/{}/invocations", "Invoke", (*Service).invokeAPI},
	{"POST /2015-03-31/functions/{}/policy", "AddPermission", (*Service).addPermission},
	{"GET /2015-03-31/functions/{}/policy", "GetPolicy", (*Service).getPolicy},
	{"DELETE /2015-03-31/functions/{}/policy/{}", "RemovePermission", (*Service).removePermission},
	{"PUT /2019-09-25/functions/{}/event-invoke-config", "PutFunctionEventInvokeConfig", (*Service).putEventInvokeConfig},
	{"GET /2019-09-25/functions/{}/event-invoke-config", "GetFunctionEventInvokeConfig", (*Service).getEventInvokeConfig},
	{"PUT /2017-10-31/functions/{}/concurrency", "PutFunctionConcurrency", (*Service).putConcurrency},
	{"GET /2019-09-30/functions/{}/concurrency", "GetFunctionConcurrency", (*Service).getConcurrency},
	{"DELETE /2017-10-31/functions/{}/concurrency", "DeleteFunctionConcurrency", (*Service).deleteConcurrency},
}

// newMux registers routes on a ServeMux; each "{}" becomes a named wildcard
// whose value (unescaped, so an escaped ARN stays one segment) is handed on.
func (s *Service) newMux() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range routes {
		var names []string
		pattern := rt.pattern
		for strings.Contains(pattern, "{}") {
			name := fmt.Sprintf("a%d", len(names))
			names = append(names, name)
			pattern = strings.Replace(pattern, "{}", "{"+name+"}", 1)
		}
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			args := make([]string, len(names))
			for i, n := range names {
				args[i] = r.PathValue(n)
			}
			s.log.Debug("lambda API", "op", rt.op, "args", args)
			rt.handle(s, w, r, args)
		})
	}
	// Each execution environment has its own Runtime API listener; this
	// address is the stack's, so a runtime got the wrong one.
	mux.HandleFunc("/2018-06-01/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errUnsupported("the Runtime API is served per execution environment at AWS_LAMBDA_RUNTIME_API, not on the stack endpoint"))
	})
	return mux
}

// route serves one request from the mux, or answers 501 naming it: a
// ServeMux's own 404 and 405 are plain text, which SDKs cannot read.
func (s *Service) route(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		ops := make([]string, 0, len(routes))
		for _, rt := range routes {
			if len(ops) == 0 || ops[len(ops)-1] != rt.op {
				ops = append(ops, rt.op)
			}
		}
		writeError(w, errUnsupported("%s %s is not supported by the embedded Lambda; it implements %s", r.Method, r.URL.Path, strings.Join(ops, ", ")))
		return
	}
	s.mux.ServeHTTP(w, r)
}

package lambdasvc

import (
	"net/http"
	"net/url"
	"strings"
)

// route is one operation of the REST API: a method and a path pattern whose
// "{}" segments are captured, in order, as arguments.
type route struct {
	method  string
	pattern []string
	op      string
	handle  func(s *Service, w http.ResponseWriter, r *http.Request, args []string)
}

func mkRoute(method, pattern, op string, h func(s *Service, w http.ResponseWriter, r *http.Request, args []string)) route {
	return route{method, strings.Split(strings.Trim(pattern, "/"), "/"), op, h}
}

// routes lists what the stand-in implements; everything else is answered
// with 501 naming the request.
var routes = []route{
	mkRoute("POST", "/2015-03-31/functions", "CreateFunction", (*Service).createFunction),
	mkRoute("GET", "/2015-03-31/functions", "ListFunctions", (*Service).listFunctions),
	mkRoute("GET", "/2015-03-31/functions/{}", "GetFunction", (*Service).getFunction),
	mkRoute("DELETE", "/2015-03-31/functions/{}", "DeleteFunction", (*Service).deleteFunction),
	mkRoute("GET", "/2015-03-31/functions/{}/configuration", "GetFunctionConfiguration", (*Service).getFunctionConfiguration),
	mkRoute("PUT", "/2015-03-31/functions/{}/configuration", "UpdateFunctionConfiguration", (*Service).updateFunctionConfiguration),
	mkRoute("PUT", "/2015-03-31/functions/{}/code", "UpdateFunctionCode", (*Service).updateFunctionCode),
	mkRoute("GET", "/2015-03-31/functions/{}/code.zip", "DownloadCode", (*Service).downloadCode),
	mkRoute("POST", "/2015-03-31/functions/{}/invocations", "Invoke", (*Service).invokeAPI),
	mkRoute("POST", "/2014-11-13/functions/{}/invoke-async", "InvokeAsync", (*Service).invokeAsyncAPI),
	mkRoute("POST", "/2015-03-31/functions/{}/policy", "AddPermission", (*Service).addPermission),
	mkRoute("GET", "/2015-03-31/functions/{}/policy", "GetPolicy", (*Service).getPolicy),
	mkRoute("DELETE", "/2015-03-31/functions/{}/policy/{}", "RemovePermission", (*Service).removePermission),
	mkRoute("PUT", "/2019-09-25/functions/{}/event-invoke-config", "PutFunctionEventInvokeConfig", (*Service).putEventInvokeConfig),
	mkRoute("POST", "/2019-09-25/functions/{}/event-invoke-config", "UpdateFunctionEventInvokeConfig", (*Service).updateEventInvokeConfig),
	mkRoute("GET", "/2019-09-25/functions/{}/event-invoke-config", "GetFunctionEventInvokeConfig", (*Service).getEventInvokeConfig),
	mkRoute("DELETE", "/2019-09-25/functions/{}/event-invoke-config", "DeleteFunctionEventInvokeConfig", (*Service).deleteEventInvokeConfig),
	mkRoute("GET", "/2017-03-31/tags/{}", "ListTags", (*Service).listTags),
	mkRoute("PUT", "/2017-10-31/functions/{}/concurrency", "PutFunctionConcurrency", (*Service).putConcurrency),
	mkRoute("GET", "/2019-09-30/functions/{}/concurrency", "GetFunctionConcurrency", (*Service).getConcurrency),
	mkRoute("DELETE", "/2017-10-31/functions/{}/concurrency", "DeleteFunctionConcurrency", (*Service).deleteConcurrency),
}

func (s *Service) route(w http.ResponseWriter, req *http.Request) {
	segs, err := pathSegments(req.URL)
	if err != nil {
		writeError(w, errInvalidParameter("malformed request path %q: %v", req.URL.EscapedPath(), err))
		return
	}
	if len(segs) > 0 && segs[0] == "2018-06-01" {
		// Each execution environment has its own Runtime API listener; this
		// address is the stack's, so a runtime got the wrong one.
		writeError(w, errUnsupported("the Runtime API is served per execution environment at AWS_LAMBDA_RUNTIME_API, not on the stack endpoint"))
		return
	}
	pathMatched := ""
	for _, rt := range routes {
		args, ok := rt.match(segs)
		if !ok {
			continue
		}
		if rt.method != req.Method {
			pathMatched = rt.op
			continue
		}
		s.log.Debug("lambda API", "op", rt.op, "args", args)
		rt.handle(s, w, req, args)
		return
	}
	if pathMatched != "" {
		writeError(w, errUnsupported("%s %s is not an operation of the embedded Lambda (the path is that of %s)", req.Method, req.URL.Path, pathMatched))
		return
	}
	writeError(w, errUnsupported("%s %s is not supported by the embedded Lambda; it implements CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions, UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction, Invoke, InvokeAsync, AddPermission, GetPolicy, RemovePermission, the FunctionEventInvokeConfig operations and ListTags", req.Method, req.URL.Path))
}

func (rt route) match(segs []string) ([]string, bool) {
	if len(segs) != len(rt.pattern) {
		return nil, false
	}
	var args []string
	for i, p := range rt.pattern {
		switch {
		case p == "{}":
			if segs[i] == "" {
				return nil, false
			}
			args = append(args, segs[i])
		case p != segs[i]:
			return nil, false
		}
	}
	return args, true
}

// pathSegments splits the escaped path, so that an ARN with escaped
// slashes or colons stays one segment, and unescapes each part. A trailing
// slash (the AWS CLI's ListFunctions) is ignored.
func pathSegments(u *url.URL) ([]string, error) {
	p := strings.Trim(u.EscapedPath(), "/")
	if p == "" {
		return nil, nil
	}
	parts := strings.Split(p, "/")
	for i, part := range parts {
		v, err := url.PathUnescape(part)
		if err != nil {
			return nil, err
		}
		parts[i] = v
	}
	return parts, nil
}

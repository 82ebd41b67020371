package embedded

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// originGuard keeps web pages out of the stack, as LocalStack's CORS
// enforcer does by default. The stack accepts any credentials, and
// gofakes3 answers every request with Access-Control-Allow-Origin: *, so
// without it any page open in a browser on this machine could read every
// face vector in a running `facevec stack`:
//
//   - a request from a browser (it carries Origin) is served only for a
//     local origin (localhost, 127.0.0.1, [::1], *.localhost, any port) or
//     one allowed with WithAllowedOrigins, and the answer allows that origin
//     alone; any other origin gets 403;
//   - the Host header must be an IP address (a container's mapped port is
//     often reached at the Docker gateway's), a local name, or an allowed
//     origin's host: a DNS-rebinding page (its own name resolving to
//     127.0.0.1) gets 403, since rebinding needs a name.
type originGuard struct {
	next    http.Handler
	origins []string // extra allowed origins, "scheme://host[:port]"
}

func (g *originGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !g.hostAllowed(r.Host) {
		http.Error(w, "host "+r.Host+" is not allowed: the stack serves local hosts only", http.StatusForbidden)
		return
	}
	origin := r.Header.Get("Origin")
	if origin != "" && !g.originAllowed(origin) {
		http.Error(w, "origin "+origin+" is not allowed: the stack serves local web pages only (see embedded.WithAllowedOrigins)", http.StatusForbidden)
		return
	}
	cw := &corsWriter{ResponseWriter: w, origin: origin}
	g.next.ServeHTTP(cw, r)
	// A handler that wrote nothing (HEAD answers, bodiless 200s) leaves
	// net/http to send the headers after it returns: rewrite them now.
	cw.fix()
}

func (g *originGuard) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(strings.ToLower(host), "[]")
	if net.ParseIP(host) != nil || localHost(host) {
		return true
	}
	for _, o := range g.origins {
		if u, err := url.Parse(o); err == nil && strings.EqualFold(u.Hostname(), host) {
			return true
		}
	}
	return false
}

func (g *originGuard) originAllowed(origin string) bool {
	if slices.Contains(g.origins, origin) {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && localHost(strings.ToLower(u.Hostname()))
}

// localHost reports whether host names this machine: loopback addresses,
// localhost and its subdomains (also LocalStack's localhost.localstack.cloud,
// which resolves to 127.0.0.1).
func localHost(host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	return host == "localhost" || strings.HasSuffix(host, ".localhost") ||
		host == "localhost.localstack.cloud" || strings.HasSuffix(host, ".localhost.localstack.cloud")
}

// corsWriter replaces gofakes3's "Access-Control-Allow-Origin: *" by the
// one origin that was allowed, or drops it for non-browser clients.
type corsWriter struct {
	http.ResponseWriter
	origin  string
	written bool
}

func (c *corsWriter) fix() {
	if c.written {
		return
	}
	c.written = true
	h := c.Header()
	if h.Get("Access-Control-Allow-Origin") == "" {
		return
	}
	if c.origin == "" {
		h.Del("Access-Control-Allow-Origin")
		return
	}
	h.Set("Access-Control-Allow-Origin", c.origin)
	h.Add("Vary", "Origin")
}

func (c *corsWriter) WriteHeader(code int) { c.fix(); c.ResponseWriter.WriteHeader(code) }

func (c *corsWriter) Write(p []byte) (int, error) { c.fix(); return c.ResponseWriter.Write(p) }

func (c *corsWriter) Flush() {
	c.fix()
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (c *corsWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

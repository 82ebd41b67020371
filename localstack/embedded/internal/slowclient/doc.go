// Package slowclient keeps a client that stops sending from holding a
// connection of the embedded stack's HTTP servers forever.
//
// Bound sets three limits, all the same length: the request headers must
// arrive within it (ReadHeaderTimeout), an idle keep-alive connection is
// closed after it (IdleTimeout), and while a handler reads a request body,
// each read must get data within it. The body limit is on progress, not on
// the whole body: a ReadTimeout would cut a large upload on a slow link
// that is still sending, which S3 accepts; a sender that stalls is cut.
// Responses have no limit (a slow reader of a large object is served).
package slowclient

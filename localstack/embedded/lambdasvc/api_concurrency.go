package lambdasvc

import "net/http"

// Reserved concurrency: the stand-in caps the function's concurrent
// invocations (execution environments) at it, within MaxConcurrency.
// Invocations beyond it wait for a free environment instead of being
// throttled (Lambda retries throttled asynchronous events itself; a local
// stack simply queues them).

type concurrencyDoc struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions,omitempty"`
}

func (s *Service) putConcurrency(w http.ResponseWriter, r *http.Request, args []string) {
	var in concurrencyDoc
	if aerr := readJSON(r, maxConfigRequest, "PutFunctionConcurrency", &in); aerr != nil {
		writeError(w, aerr)
		return
	}
	if in.ReservedConcurrentExecutions == nil || *in.ReservedConcurrentExecutions < 1 {
		// 0 stops all invocations on AWS; the stand-in has no throttling.
		writeError(w, errInvalidParameter("ReservedConcurrentExecutions must be 1 or more here (0, which throttles every invocation, is not supported by the embedded Lambda)"))
		return
	}
	f, aerr := s.lookup(args[0], "")
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	f.setReserved(*in.ReservedConcurrentExecutions)
	writeJSON(w, http.StatusOK, in)
}

// setReserved records the reserved concurrency (0: none) and bounds the
// pool with it.
func (f *function) setReserved(n int) {
	f.mu.Lock()
	f.reserved = n
	f.mu.Unlock()
	f.pool.setLimit(n)
}

func (s *Service) getConcurrency(w http.ResponseWriter, r *http.Request, args []string) {
	f, aerr := s.lookup(args[0], "")
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	f.mu.Lock()
	n := f.reserved
	f.mu.Unlock()
	var out concurrencyDoc
	if n > 0 {
		out.ReservedConcurrentExecutions = &n
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Service) deleteConcurrency(w http.ResponseWriter, r *http.Request, args []string) {
	f, aerr := s.lookup(args[0], "")
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	f.setReserved(0)
	w.WriteHeader(http.StatusNoContent)
}

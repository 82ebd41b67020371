package lambdasvc

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// maxCodeRequest is Lambda's limit for a CreateFunction/UpdateFunctionCode
// request carrying the zip inline (50 MB zipped, base64 encoded).
const maxCodeRequest = 69905067

// maxConfigRequest bounds the other JSON request bodies.
const maxConfigRequest = 1 << 20

type functionCodeInput struct {
	ZipFile         []byte `json:"ZipFile"`
	S3Bucket        string `json:"S3Bucket"`
	S3Key           string `json:"S3Key"`
	S3ObjectVersion string `json:"S3ObjectVersion"`
	ImageURI        string `json:"ImageUri"`
}

type environmentInput struct {
	Variables map[string]string `json:"Variables"`
}

type createFunctionInput struct {
	FunctionName string             `json:"FunctionName"`
	Runtime      string             `json:"Runtime"`
	Role         string             `json:"Role"`
	Handler      string             `json:"Handler"`
	Description  string             `json:"Description"`
	PackageType  string             `json:"PackageType"`
	Code         *functionCodeInput `json:"Code"`
	Timeout      *int               `json:"Timeout"`
	MemorySize   *int               `json:"MemorySize"`
	// EphemeralStorage is /tmp's size (Size in MB, 512 to 10240).
	EphemeralStorage *ephemeralStorage `json:"EphemeralStorage"`
	Publish          bool              `json:"Publish"`
	Environment      *environmentInput `json:"Environment"`
	Architectures    []string          `json:"Architectures"`
	Layers           []string          `json:"Layers"`
	Tags             map[string]string `json:"Tags"`
}

func (s *Service) createFunction(w http.ResponseWriter, r *http.Request, _ []string) {
	var in createFunctionInput
	if aerr := readJSON(r, maxCodeRequest, "CreateFunction", &in); aerr != nil {
		writeError(w, aerr)
		return
	}
	ref, aerr := s.parseFunctionRef(in.FunctionName)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if ref.qualifier != "" {
		writeError(w, errInvalidParameter("CreateFunction takes an unqualified function name, not %q", in.FunctionName))
		return
	}
	st := functionState{
		Runtime: in.Runtime, Role: in.Role, Handler: in.Handler, Description: in.Description,
		Timeout: 3, MemorySize: 128, EphemeralMB: DefaultEphemeralStorageMB, Architectures: in.Architectures,
	}
	if st.Role == "" {
		// IAM is not emulated; a placeholder keeps the shape AWS returns.
		st.Role = "arn:aws:iam::" + s.opts.AccountID + ":role/lambda-role"
	}
	if in.Timeout != nil {
		st.Timeout = *in.Timeout
	}
	if in.MemorySize != nil {
		st.MemorySize = *in.MemorySize
	}
	if in.EphemeralStorage != nil {
		st.EphemeralMB = in.EphemeralStorage.Size
	}
	if len(st.Architectures) == 0 {
		st.Architectures = []string{"x86_64"}
	}
	if in.Environment != nil {
		st.Env = maps.Clone(in.Environment.Variables)
	}
	if aerr := firstError(
		checkPackageType(in.PackageType),
		checkRuntime(st.Runtime),
		checkCode(in.Code),
		checkTimeout(st.Timeout),
		checkMemory(st.MemorySize),
		checkEphemeralStorage(st.EphemeralMB),
		checkArchitectures(st.Architectures),
		checkEnv(st.Env),
		checkLayers(in.Layers),
		checkPublish(in.Publish),
	); aerr != nil {
		writeError(w, aerr)
		return
	}

	name := ref.name
	if aerr := s.reserveName(name); aerr != nil {
		writeError(w, aerr)
		return
	}
	defer s.releaseName(name)

	f := &function{name: name, arn: s.arnFor(name), dir: filepath.Join(s.workDir, name), tags: maps.Clone(in.Tags)}
	if err := os.MkdirAll(filepath.Join(f.dir, "tmp"), 0o755); err != nil {
		writeError(w, errService("create function directory: %v", err))
		return
	}
	code, aerr := s.installCode(r, f.dir, in.Code.ZipFile, in.Code.S3Bucket, in.Code.S3Key)
	if aerr != nil {
		_ = os.RemoveAll(f.dir)
		writeError(w, aerr)
		return
	}
	st.codeDir, st.zipPath, st.CodeSha256, st.CodeSize = code.dir, code.zipPath, code.sha256, code.size
	st.LastModified, st.RevisionID = time.Now(), newUUID()
	f.state = st
	f.spec.Store(s.buildSpec(f, &f.state))
	f.pool = newPool(s, f)

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = os.RemoveAll(f.dir)
		writeError(w, errServiceClosed())
		return
	}
	s.functions[name] = f
	s.mu.Unlock()
	s.logRingFor(name)
	s.log.Info("lambda function created", "function", name, "runtime", st.Runtime, "code_sha256", st.CodeSha256, "code_size", st.CodeSize)

	f.mu.Lock()
	conf := f.configuration()
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, conf)
}

// reserveName claims a name for a create (or a delete's teardown), so two
// requests cannot unpack into the same directory at once.
func (s *Service) reserveName(name string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return errServiceClosed()
	case s.functions[name] != nil:
		return errConflict("Function already exist: %s", name)
	case s.busy[name]:
		return errConflict("The function %s is being created or deleted; try again in a moment", name)
	}
	s.busy[name] = true
	return nil
}

func (s *Service) releaseName(name string) {
	s.mu.Lock()
	delete(s.busy, name)
	s.mu.Unlock()
}

func checkPackageType(pt string) *apiError {
	if pt != "" && pt != "Zip" {
		return errInvalidParameter("PackageType %s is not supported by the embedded Lambda; deploy a .zip package with a bootstrap", pt)
	}
	return nil
}

func checkCode(c *functionCodeInput) *apiError {
	switch {
	case c == nil:
		return errInvalidParameter("Code is required: give Code.ZipFile or Code.S3Bucket and Code.S3Key")
	case c.ImageURI != "":
		return errInvalidParameter("container images (Code.ImageUri) are not supported by the embedded Lambda; deploy a .zip package")
	case len(c.ZipFile) > 0 && (c.S3Bucket != "" || c.S3Key != ""):
		return errInvalidParameter("Please do not provide other FunctionCode parameters when providing a ZipFile.")
	case len(c.ZipFile) == 0 && (c.S3Bucket == "" || c.S3Key == ""):
		return errInvalidParameter("Please provide a source for function code: Code.ZipFile, or both Code.S3Bucket and Code.S3Key")
	}
	return nil
}

func checkPublish(publish bool) *apiError {
	if publish {
		return errInvalidParameter("Publish is not supported by the embedded Lambda, which only has $LATEST; leave Publish false")
	}
	return nil
}

func firstError(errs ...*apiError) *apiError {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

type codeInfo struct {
	dir, zipPath, sha256 string
	size                 int64
}

// installCode gets the package (inline or from S3), unpacks it into a new
// numbered directory under fdir and keeps the zip next to it.
func (s *Service) installCode(r *http.Request, fdir string, zipFile []byte, bucket, key string) (codeInfo, *apiError) {
	data := zipFile
	if len(data) == 0 {
		if s.opts.FetchCode == nil {
			return codeInfo{}, errInvalidParameter("code from S3 (s3://%s/%s) cannot be used: the embedded Lambda was started without an S3 code source; send Code.ZipFile", bucket, key)
		}
		var err error
		data, err = s.opts.FetchCode(r.Context(), bucket, key)
		if err != nil {
			return codeInfo{}, errInvalidParameter("Error occurred while GetObject. S3 Error: could not read s3://%s/%s: %v", bucket, key, err)
		}
	}
	seq := strconv.FormatInt(s.seq.Add(1), 10)
	info := codeInfo{dir: filepath.Join(fdir, seq), zipPath: filepath.Join(fdir, seq+".zip"), size: int64(len(data))}
	sum := sha256.Sum256(data)
	info.sha256 = base64.StdEncoding.EncodeToString(sum[:])

	if err := unpackZip(data, info.dir, maxUnzippedSize); err != nil {
		return codeInfo{}, packageAPIError(err)
	}
	if err := checkBootstrap(info.dir, data); err != nil {
		_ = os.RemoveAll(info.dir)
		return codeInfo{}, packageAPIError(err)
	}
	if err := os.WriteFile(info.zipPath, data, 0o644); err != nil {
		_ = os.RemoveAll(info.dir)
		return codeInfo{}, errService("store deployment package: %v", err)
	}
	return info, nil
}

func packageAPIError(err error) *apiError {
	var pe *packageError
	if errors.As(err, &pe) {
		return errInvalidParameter("%s", pe.msg)
	}
	return errService("unpack deployment package: %v", err)
}

type getFunctionOutput struct {
	Configuration functionConfiguration `json:"Configuration"`
	Code          codeLocation          `json:"Code"`
	Tags          map[string]string     `json:"Tags,omitempty"`
}

type codeLocation struct {
	RepositoryType string `json:"RepositoryType"`
	Location       string `json:"Location"`
}

func (s *Service) getFunction(w http.ResponseWriter, r *http.Request, args []string) {
	f, aerr := s.lookup(args[0], r.URL.Query().Get("Qualifier"))
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	f.mu.Lock()
	out := getFunctionOutput{Configuration: f.configuration(), Tags: maps.Clone(f.tags)}
	sha := f.state.CodeSha256
	f.mu.Unlock()
	base := s.opts.Endpoint
	if base == "" {
		base = "http://" + r.Host
	}
	sum := sha256.Sum256([]byte(sha))
	out.Code = codeLocation{
		RepositoryType: "S3",
		Location:       base + "/2015-03-31/functions/" + url.PathEscape(f.name) + "/code.zip?sha=" + hex.EncodeToString(sum[:8]),
	}
	writeJSON(w, http.StatusOK, out)
}

// downloadCode serves the package GetFunction's Code.Location points at.
func (s *Service) downloadCode(w http.ResponseWriter, r *http.Request, args []string) {
	f, aerr := s.lookup(args[0], "")
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	f.mu.Lock()
	// Open under the lock: an update may remove the file right after, and
	// the open descriptor keeps it readable.
	file, err := os.Open(f.state.zipPath)
	mod := f.state.LastModified
	f.mu.Unlock()
	if err != nil {
		writeError(w, errService("open deployment package: %v", err))
		return
	}
	defer file.Close()
	w.Header().Set("Content-Type", "application/zip")
	http.ServeContent(w, r, f.name+".zip", mod, file)
}

func (s *Service) getFunctionConfiguration(w http.ResponseWriter, r *http.Request, args []string) {
	f, aerr := s.lookup(args[0], r.URL.Query().Get("Qualifier"))
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	f.mu.Lock()
	conf := f.configuration()
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, conf)
}

type listFunctionsOutput struct {
	Functions  []functionConfiguration `json:"Functions"`
	NextMarker string                  `json:"NextMarker,omitempty"`
}

func (s *Service) listFunctions(w http.ResponseWriter, r *http.Request, _ []string) {
	q := r.URL.Query()
	maxItems := 50
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			writeError(w, errInvalidParameter("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", v))
			return
		}
		maxItems = n
	}
	marker := q.Get("Marker")
	s.mu.Lock()
	fns := make([]*function, 0, len(s.functions))
	for _, f := range s.functions {
		if f.name > marker {
			fns = append(fns, f)
		}
	}
	s.mu.Unlock()
	sort.Slice(fns, func(i, j int) bool { return fns[i].name < fns[j].name })
	out := listFunctionsOutput{Functions: []functionConfiguration{}}
	for i, f := range fns {
		if i == maxItems {
			out.NextMarker = fns[i-1].name
			break
		}
		f.mu.Lock()
		out.Functions = append(out.Functions, f.configuration())
		f.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Service) deleteFunction(w http.ResponseWriter, r *http.Request, args []string) {
	f, aerr := s.lookup(args[0], r.URL.Query().Get("Qualifier"))
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	s.mu.Lock()
	if s.functions[f.name] != f {
		s.mu.Unlock()
		writeError(w, errFunctionNotFound(f.arn))
		return
	}
	delete(s.functions, f.name)
	// Hold the name until the directory is gone, so a create of the same
	// name cannot unpack into it meanwhile.
	s.busy[f.name] = true
	s.mu.Unlock()
	defer s.releaseName(f.name)

	f.pool.close()
	if err := os.RemoveAll(f.dir); err != nil {
		s.log.Warn("lambda: could not remove function directory", "function", f.name, "dir", f.dir, "err", err)
	}
	s.log.Info("lambda function deleted", "function", f.name)
	w.WriteHeader(http.StatusNoContent)
}

type updateFunctionCodeInput struct {
	ZipFile       []byte   `json:"ZipFile"`
	S3Bucket      string   `json:"S3Bucket"`
	S3Key         string   `json:"S3Key"`
	ImageURI      string   `json:"ImageUri"`
	Architectures []string `json:"Architectures"`
	Publish       bool     `json:"Publish"`
	DryRun        bool     `json:"DryRun"`
	RevisionID    string   `json:"RevisionId"`
}

func (s *Service) updateFunctionCode(w http.ResponseWriter, r *http.Request, args []string) {
	var in updateFunctionCodeInput
	if aerr := readJSON(r, maxCodeRequest, "UpdateFunctionCode", &in); aerr != nil {
		writeError(w, aerr)
		return
	}
	f, aerr := s.lookup(args[0], "")
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	code := &functionCodeInput{ZipFile: in.ZipFile, S3Bucket: in.S3Bucket, S3Key: in.S3Key, ImageURI: in.ImageURI}
	if aerr := firstError(checkCode(code), checkArchitectures(in.Architectures), checkPublish(in.Publish), f.checkRevision(in.RevisionID)); aerr != nil {
		writeError(w, aerr)
		return
	}
	info, aerr := s.installCode(r, f.dir, in.ZipFile, in.S3Bucket, in.S3Key)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if in.DryRun {
		_ = os.RemoveAll(info.dir)
		_ = os.Remove(info.zipPath)
		f.mu.Lock()
		conf := f.configuration()
		f.mu.Unlock()
		conf.CodeSha256, conf.CodeSize = info.sha256, info.size
		writeJSON(w, http.StatusOK, conf)
		return
	}

	f.mu.Lock()
	old := f.state
	f.state.codeDir, f.state.zipPath, f.state.CodeSha256, f.state.CodeSize = info.dir, info.zipPath, info.sha256, info.size
	if len(in.Architectures) > 0 {
		f.state.Architectures = in.Architectures
	}
	f.state.LastModified, f.state.RevisionID = time.Now(), newUUID()
	f.spec.Store(s.buildSpec(f, &f.state))
	conf := f.configuration()
	f.mu.Unlock()

	_ = os.Remove(old.zipPath)
	f.pool.retire(old.codeDir)
	s.log.Info("lambda function code updated", "function", f.name, "code_sha256", info.sha256)
	writeJSON(w, http.StatusOK, conf)
}

type updateFunctionConfigurationInput struct {
	Runtime     *string `json:"Runtime"`
	Role        *string `json:"Role"`
	Handler     *string `json:"Handler"`
	Description *string `json:"Description"`
	Timeout     *int    `json:"Timeout"`
	MemorySize  *int    `json:"MemorySize"`
	// EphemeralStorage is /tmp's size (Size in MB, 512 to 10240).
	EphemeralStorage *ephemeralStorage `json:"EphemeralStorage"`
	Environment      *environmentInput `json:"Environment"`
	Layers           []string          `json:"Layers"`
	RevisionID       string            `json:"RevisionId"`
}

func (s *Service) updateFunctionConfiguration(w http.ResponseWriter, r *http.Request, args []string) {
	var in updateFunctionConfigurationInput
	if aerr := readJSON(r, maxConfigRequest, "UpdateFunctionConfiguration", &in); aerr != nil {
		writeError(w, aerr)
		return
	}
	f, aerr := s.lookup(args[0], "")
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	f.mu.Lock()
	st := f.state
	if in.Runtime != nil {
		st.Runtime = *in.Runtime
	}
	if in.Role != nil {
		st.Role = *in.Role
	}
	if in.Handler != nil {
		st.Handler = *in.Handler
	}
	if in.Description != nil {
		st.Description = *in.Description
	}
	if in.Timeout != nil {
		st.Timeout = *in.Timeout
	}
	if in.MemorySize != nil {
		st.MemorySize = *in.MemorySize
	}
	if in.EphemeralStorage != nil {
		st.EphemeralMB = in.EphemeralStorage.Size
	}
	if in.Environment != nil {
		// Like Lambda: the given variables replace all of them.
		st.Env = maps.Clone(in.Environment.Variables)
	}
	aerr = firstError(f.checkRevisionLocked(in.RevisionID), checkRuntime(st.Runtime), checkTimeout(st.Timeout),
		checkMemory(st.MemorySize), checkEphemeralStorage(st.EphemeralMB), checkEnv(st.Env), checkLayers(in.Layers))
	if aerr != nil {
		f.mu.Unlock()
		writeError(w, aerr)
		return
	}
	st.LastModified, st.RevisionID = time.Now(), newUUID()
	f.state = st
	f.spec.Store(s.buildSpec(f, &f.state))
	conf := f.configuration()
	f.mu.Unlock()

	f.pool.retire("")
	s.log.Info("lambda function configuration updated", "function", f.name)
	writeJSON(w, http.StatusOK, conf)
}

func (f *function) checkRevision(rev string) *apiError {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.checkRevisionLocked(rev)
}

func (f *function) checkRevisionLocked(rev string) *apiError {
	if rev != "" && rev != f.state.RevisionID {
		return &apiError{http.StatusPreconditionFailed, "PreconditionFailedException",
			"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id", nil}
	}
	return nil
}

// readJSON decodes a bounded JSON request body.
func readJSON(r *http.Request, limit int64, op string, v any) *apiError {
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return errInvalidContent("could not read the request body: %v", err)
	}
	if int64(len(body)) > limit {
		return errTooLarge("Request must be smaller than %d bytes for the %s operation", limit, op)
	}
	if len(body) == 0 {
		return errInvalidContent("the %s request has no body", op)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errInvalidContent("Could not parse request body into json: %v", err)
	}
	return nil
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

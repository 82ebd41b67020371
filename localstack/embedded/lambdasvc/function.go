package lambdasvc

import (
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// function is one Lambda function: its configuration (guarded by mu), the
// spec its environments run (swapped atomically on change) and its pool.
type function struct {
	name string
	arn  string
	dir  string // WorkDir/NAME: code versions, tmp, the package zip
	pool *pool
	spec atomic.Pointer[spec]

	mu     sync.Mutex
	state  functionState
	policy policy
	eic    *eventInvokeConfig // nil: defaults (2 retries, 6 h)
	tags   map[string]string
	// reserved is the reserved concurrency, 0 when none.
	reserved int
}

// functionState is the configuration as the API shows it.
type functionState struct {
	Runtime, Role, Handler, Description string
	Timeout, MemorySize                 int
	EphemeralMB                         int // EphemeralStorage.Size: /tmp in MB
	Env                                 map[string]string
	Architectures                       []string
	CodeSha256                          string
	CodeSize                            int64
	LastModified                        time.Time
	RevisionID                          string
	codeDir                             string // unpacked package
	zipPath                             string // the package itself, for GetFunction's Code.Location
}

// spec is what one execution environment runs; immutable once built, so an
// environment can tell it is stale by pointer comparison.
type spec struct {
	name     string
	arn      string
	codeDir  string
	timeout  time.Duration
	memoryMB int
	tmpMB    int      // EphemeralStorage.Size: the size of /tmp
	tmpRoot  string   // each environment gets its own /tmp below it
	baseEnv  []string // what Lambda defines
	userEnv  []string // Environment.Variables, KEY=value, sorted
	// sandbox builds each environment like Lambda's; inactive: plain
	// child processes.
	sandbox *sandboxer
	output  *lockedWriter // Options.FunctionOutput, or nil
	// checkPeers: the Runtime API serves only the environment's own
	// processes (false where it cannot tell them apart, with a warning).
	checkPeers bool
}

// environ is the complete environment of one process: Lambda's variables
// and Runtime API address, then the function's variables, which win over
// the defaults (exec keeps the last duplicate) but cannot be reserved ones
// (checkEnv). Outside the sandbox /tmp is the host's, so TMPDIR and HOME
// point at the environment's own directory instead.
func (sp *spec) environ(tmp, runtimeAPI string) []string {
	env := make([]string, 0, len(sp.baseEnv)+len(sp.userEnv)+3)
	env = append(env, sp.baseEnv...)
	if !sp.sandbox.active() {
		env = append(env, "TMPDIR="+tmp, "HOME="+tmp)
	}
	env = append(env, "AWS_LAMBDA_RUNTIME_API="+runtimeAPI)
	return append(env, sp.userEnv...)
}

// reservedEnv are the variables Lambda sets itself and refuses in
// Environment.Variables.
var reservedEnv = []string{
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}

// buildSpec derives the environment spec from the state. Only the
// variables Lambda defines and the function's own reach the process, never
// the parent's environment.
func (s *Service) buildSpec(f *function, st *functionState) *spec {
	// In the sandbox the paths are Lambda's; outside it the task root is
	// the unpacked package on the host, and /var/task/lib its lib/.
	task, libPath := taskRoot, sandboxLibPath
	if !s.sandbox.active() {
		task, libPath = st.codeDir, st.codeDir+"/lib:"+st.codeDir
	}
	base := []string{
		"PATH=" + sandboxPath,
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"LD_LIBRARY_PATH=" + libPath,
		"LAMBDA_TASK_ROOT=" + task,
		"LAMBDA_RUNTIME_DIR=" + runtimeDir,
		"_HANDLER=" + st.Handler,
		"AWS_REGION=" + s.opts.Region,
		"AWS_DEFAULT_REGION=" + s.opts.Region,
		"AWS_LAMBDA_FUNCTION_NAME=" + f.name,
		"AWS_LAMBDA_FUNCTION_VERSION=" + latest,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(st.MemorySize),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + f.name,
		"AWS_LAMBDA_LOG_STREAM_NAME=" + time.Now().UTC().Format("2006/01/02") + "/[$LATEST]embedded",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		// An execution role's temporary credentials, as Lambda gives them.
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_SESSION_TOKEN=test",
	}
	if s.opts.Endpoint != "" {
		base = append(base, localstackEndpointEnv(s.opts.Endpoint)...)
	}
	user := make([]string, 0, len(st.Env))
	for _, k := range slices.Sorted(maps.Keys(st.Env)) {
		user = append(user, k+"="+st.Env[k])
	}
	return &spec{
		name:       f.name,
		arn:        f.arn,
		codeDir:    st.codeDir,
		tmpRoot:    filepath.Join(f.dir, "tmp"),
		timeout:    time.Duration(st.Timeout) * time.Second,
		memoryMB:   st.MemorySize,
		tmpMB:      st.EphemeralMB,
		baseEnv:    base,
		userEnv:    user,
		sandbox:    s.sandbox,
		output:     s.output,
		checkPeers: s.checkPeers,
	}
}

// functionConfiguration is the API's FunctionConfiguration.
type functionConfiguration struct {
	FunctionName     string               `json:"FunctionName"`
	FunctionArn      string               `json:"FunctionArn"`
	Runtime          string               `json:"Runtime"`
	Role             string               `json:"Role"`
	Handler          string               `json:"Handler"`
	CodeSize         int64                `json:"CodeSize"`
	Description      string               `json:"Description"`
	Timeout          int                  `json:"Timeout"`
	MemorySize       int                  `json:"MemorySize"`
	LastModified     string               `json:"LastModified"`
	CodeSha256       string               `json:"CodeSha256"`
	Version          string               `json:"Version"`
	Environment      *environmentResponse `json:"Environment,omitempty"`
	TracingConfig    tracingConfig        `json:"TracingConfig"`
	RevisionID       string               `json:"RevisionId"`
	State            string               `json:"State"`
	LastUpdateStatus string               `json:"LastUpdateStatus"`
	PackageType      string               `json:"PackageType"`
	Architectures    []string             `json:"Architectures"`
	EphemeralStorage ephemeralStorage     `json:"EphemeralStorage"`
	LoggingConfig    loggingConfig        `json:"LoggingConfig"`
}

type environmentResponse struct {
	Variables map[string]string `json:"Variables"`
}

type tracingConfig struct {
	Mode string `json:"Mode"`
}

type ephemeralStorage struct {
	Size int `json:"Size"`
}

type loggingConfig struct {
	LogFormat string `json:"LogFormat"`
	LogGroup  string `json:"LogGroup"`
}

// lastModifiedLayout is how Lambda prints FunctionConfiguration.LastModified.
const lastModifiedLayout = "2006-01-02T15:04:05.000-0700"

// configuration renders the state; the caller holds f.mu.
func (f *function) configuration() functionConfiguration {
	st := &f.state
	c := functionConfiguration{
		FunctionName:     f.name,
		FunctionArn:      f.arn,
		Runtime:          st.Runtime,
		Role:             st.Role,
		Handler:          st.Handler,
		CodeSize:         st.CodeSize,
		Description:      st.Description,
		Timeout:          st.Timeout,
		MemorySize:       st.MemorySize,
		LastModified:     st.LastModified.UTC().Format(lastModifiedLayout),
		CodeSha256:       st.CodeSha256,
		Version:          latest,
		TracingConfig:    tracingConfig{Mode: "PassThrough"},
		RevisionID:       st.RevisionID,
		State:            "Active",
		LastUpdateStatus: "Successful",
		PackageType:      "Zip",
		Architectures:    slices.Clone(st.Architectures),
		EphemeralStorage: ephemeralStorage{Size: st.EphemeralMB},
		LoggingConfig:    loggingConfig{LogFormat: "Text", LogGroup: "/aws/lambda/" + f.name},
	}
	if len(st.Env) > 0 {
		c.Environment = &environmentResponse{Variables: maps.Clone(st.Env)}
	}
	return c
}

// localstackEndpointEnv is how LocalStack tells a function where its edge
// endpoint is (localstack-core/localstack/services/lambda_/invocation/
// execution_environment.py, 4.14): LOCALSTACK_HOSTNAME (the host alone),
// EDGE_PORT, and AWS_ENDPOINT_URL = http://LOCALSTACK_HOSTNAME:EDGE_PORT,
// which every current SDK, the function's included, honours. The same three
// here keep a function that works on one working on the other.
func localstackEndpointEnv(endpoint string) []string {
	env := []string{"AWS_ENDPOINT_URL=" + endpoint}
	if u, err := url.Parse(endpoint); err == nil && u.Hostname() != "" {
		env = append(env, "LOCALSTACK_HOSTNAME="+u.Hostname())
		if port := u.Port(); port != "" {
			env = append(env, "EDGE_PORT="+port)
		}
	}
	return env
}

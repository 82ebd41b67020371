package lambdasvc

import (
	"regexp"
	"slices"
	"sort"
	"strings"
)

// supportedRuntimes are the OS-only runtimes: the package's bootstrap is the
// runtime, which is all the stand-in can start.
var supportedRuntimes = []string{"provided.al2023", "provided.al2", "provided"}

func checkRuntime(rt string) *apiError {
	if rt == "" {
		return errInvalidParameter("Runtime is required for .zip deployment packages; the embedded Lambda supports %s", strings.Join(supportedRuntimes, ", "))
	}
	if !slices.Contains(supportedRuntimes, rt) {
		return errInvalidParameter("The runtime parameter of %s is not supported by the embedded Lambda, which only starts a bootstrap executable: use one of %s", rt, strings.Join(supportedRuntimes, ", "))
	}
	return nil
}

func checkTimeout(t int) *apiError {
	if t < 1 || t > 900 {
		return errInvalidParameter("1 validation error detected: Value '%d' at 'timeout' failed to satisfy constraint: Member must have value between 1 and 900", t)
	}
	return nil
}

func checkMemory(m int) *apiError {
	if m < 128 || m > 10240 {
		return errInvalidParameter("1 validation error detected: Value '%d' at 'memorySize' failed to satisfy constraint: Member must have value between 128 and 10240", m)
	}
	return nil
}

// checkEphemeralStorage: Lambda's /tmp is 512 MB to 10240 MB.
func checkEphemeralStorage(mb int) *apiError {
	if mb < 512 || mb > 10240 {
		return errInvalidParameter("1 validation error detected: Value '%d' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value between 512 and 10240", mb)
	}
	return nil
}

func checkArchitectures(a []string) *apiError {
	switch {
	case len(a) > 1:
		return errInvalidParameter("1 validation error detected: Value '%v' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1", a)
	case len(a) == 1 && a[0] != "x86_64" && a[0] != "arm64":
		return errInvalidParameter("1 validation error detected: Value '%s' at 'architectures' failed to satisfy constraint: Member must satisfy enum value set: [x86_64, arm64]", a[0])
	}
	return nil
}

var envKeyPattern = regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9_])+$`)

// checkEnv applies Lambda's rules: key syntax, no reserved keys, 4 KB in all.
func checkEnv(vars map[string]string) *apiError {
	size := 0
	var reserved []string
	for k, v := range vars {
		if !envKeyPattern.MatchString(k) {
			return errInvalidParameter("1 validation error detected: Value '%s' at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]", k)
		}
		if slices.Contains(reservedEnv, k) {
			reserved = append(reserved, k)
		}
		size += len(k) + len(v)
	}
	if len(reserved) > 0 {
		sort.Strings(reserved)
		return errInvalidParameter("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", strings.Join(reserved, ", "))
	}
	if size > 4096 {
		return errInvalidParameter("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %d bytes", size)
	}
	return nil
}

func checkLayers(layers []string) *apiError {
	if len(layers) > 0 {
		return errInvalidParameter("layers are not supported by the embedded Lambda; put what the function needs into its .zip package (shared libraries under lib/)")
	}
	return nil
}

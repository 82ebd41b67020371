//go:build !linux

package lambdasvc

import (
	"errors"
	"net"
)

func peerCheckGap() string {
	return "not Linux: the Runtime API cannot tell the function's process from others; any local process may take its invocations"
}

func connFromTree(_, _ *net.TCPAddr, _, _ int) (bool, error) { return false, errors.ErrUnsupported }

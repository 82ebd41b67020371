//go:build !unix

package lambdasvc

import (
	"errors"
	"syscall"
)

// Function processes need process groups, so the stand-in runs them on Unix
// only; procAttr's nil makes startEnvironment refuse with a clear error.
func procAttr() *syscall.SysProcAttr { return nil }

func killGroup(int) error { return errors.ErrUnsupported }

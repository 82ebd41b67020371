package cli

import (
	"context"
	"errors"
)

func runStack(ctx context.Context, args []string, stdio IO) (int, error) {
	return 0, errors.New("stack: not wired yet")
}

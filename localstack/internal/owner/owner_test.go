package owner

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
)

func TestOwnerGone(t *testing.T) {
	host, _ := os.Hostname()
	// A process that has exited: its pid names nobody (or, rarely, a new
	// process with another start time).
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	self := os.Getpid()
	tests := []struct {
		owner string
		want  bool
	}{
		{Self(), false},
		{host + "/" + strconv.Itoa(dead) + "/1", true},
		{host + "/" + strconv.Itoa(self) + "/" + processStart(self), false},
		{host + "/" + strconv.Itoa(self) + "/1", true}, // same pid, another start: reused
		{"another-host/" + strconv.Itoa(dead) + "/1", false},
		{"", false},
		{host + "/notapid/1", false},
		{host + "/-4/1", false},
	}
	for _, tt := range tests {
		if got := Gone(tt.owner); got != tt.want {
			t.Errorf("Gone(%q) = %v, want %v", tt.owner, got, tt.want)
		}
	}
	if processStart(self) == "" {
		t.Error("processStart of this process is empty")
	}
}

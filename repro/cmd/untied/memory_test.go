package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/untied-ml/untied/repro/result"
)

// TestMemoryEstimate runs three networks as processes of their own and
// checks the estimate `untied train -memory` prints, before the run, is
// within 25 % of each run's measured peak resident memory.
func TestMemoryEstimate(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("a run's peak RSS is read from /proc (Linux)")
	}
	t.Setenv(asCommand, "1")
	for _, args := range [][]string{
		{"-model", "lenet", "-batch", "128"},
		{"-model", "resnet18", "-width", "16", "-batch", "64"},
		{"-model", "resnet50", "-width", "8", "-batch", "48"},
	} {
		dir := filepath.Join(t.TempDir(), "run")
		args = append([]string{"train", "-data", "synthetic", "-epochs", "1", "-train-limit", "192", "-metrics-every", "0",
			"-threads", "1", "-quiet", "-out", dir}, args...)
		out, err := exec.Command(os.Args[0], append(args, "-memory")...).CombinedOutput()
		var est float64
		if _, serr := fmt.Sscanf(string(out), "memory: %g bytes", &est); err != nil || serr != nil {
			t.Fatalf("untied %v -memory: %v, %v:\n%s", args, err, serr, out)
		}
		if out, err := exec.Command(os.Args[0], args...).CombinedOutput(); err != nil {
			t.Fatalf("untied %v: %v\n%s", args, err, out)
		}
		// The run's own peak (VmHWM) from its result: getrusage's would
		// count this test process too, whose memory a vforked child shares
		// until it execs.
		res, err := result.Read(filepath.Join(dir, "result.json"))
		if err != nil {
			t.Fatal(err)
		}
		rss := float64(res.Machine.PeakRSS)
		name := strings.Join(args[len(args)-4:], " ")
		t.Logf("%s: estimate %.0f MiB, peak RSS %.0f MiB, ratio %.2f", name, est/(1<<20), rss/(1<<20), est/rss)
		if r := est / rss; r < 0.75 || r > 1.25 {
			t.Errorf("%s: estimate %.0f MiB, peak RSS %.0f MiB: off by more than 25 %%", name, est/(1<<20), rss/(1<<20))
		}
	}
}

// TestMemoryRefusal checks runs far beyond the machine's memory are
// refused with a message naming the flags to change, before they
// allocate (the -width case without building the model).
func TestMemoryRefusal(t *testing.T) {
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		t.Skip("needs /proc/meminfo for the available memory")
	}
	for _, extra := range [][]string{{"-width", "100000"}, {"-batch", "100000000"}} {
		var stdout, stderr strings.Builder
		args := append([]string{"train", "-data", "synthetic", "-model", "resnet18", "-epochs", "1", "-quiet", "-out", filepath.Join(t.TempDir(), "run")}, extra...)
		code := mainErr(args, &stdout, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), "lower -batch or -width") {
			t.Errorf("untied %v exited %d:\n%s\nwant 1 and a memory refusal", extra, code, stderr.String())
		}
	}
}

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// runJobs runs a sweep as jobs processes of this command at once, each
// `untied sweep` over its own round-robin slice of the cells, with
// GOMAXPROCS = threads. Small models use two threads little better than one
// (measured: quick-profile ResNet-50 width 4, 17.2 s on two threads against
// 15.3–19.5 s on one), so two one-thread cells at once finish a sweep
// nearly twice as fast. Results do not depend on the thread count.
//
// The slice i/n of the whole sweep (-cells) is split again (jobSlice).
// Each job's lines reach w prefixed with its number. When ctx
// ends (an interrupt), every job is sent SIGINT and checkpoints its running
// cell, as a sweep of its own does.
func runJobs(ctx context.Context, jobs, threads int, i, n int, args []string, w io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("-jobs: cannot find this command to start its jobs: %w", err)
	}
	var (
		mu   sync.Mutex // serialises lines from the jobs
		wg   sync.WaitGroup
		errs = make([]error, jobs)
	)
	fmt.Fprintf(w, "sweep: %d jobs at once, %d thread(s) each\n", jobs, threads)
	for k := 1; k <= jobs; k++ {
		ki, kn := jobSlice(i, n, k, jobs)
		slice := fmt.Sprintf("%d/%d", ki, kn)
		cmd := exec.CommandContext(ctx, exe, append([]string{"sweep", "-cells", slice, "-no-table", "-no-bars"}, args...)...)
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(threads))
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
		cmd.WaitDelay = time.Minute // time to write the checkpoint
		out, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		cmd.Stderr = cmd.Stdout // one stream per job, lines in order
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("-jobs: starting job %d: %w", k, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := bufio.NewScanner(out)
			for s.Scan() {
				mu.Lock()
				fmt.Fprintf(w, "[job %d] %s\n", k, s.Text())
				mu.Unlock()
			}
			if err := cmd.Wait(); err != nil {
				errs[k-1] = fmt.Errorf("job %d (cells %s): %w", k, slice, err)
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return errors.New("interrupted: each job checkpointed its running cell; run the sweep again to resume")
	}
	return errors.Join(errs...)
}

// jobSlice returns the slice ki/kn (as -cells takes it) of the whole sweep
// that job k of jobs runs when the sweep itself is slice i/n.
func jobSlice(i, n, k, jobs int) (ki, kn int) { return i + n*(k-1), n * jobs }

// threadsPerJob shares this process's GOMAXPROCS among jobs, one at least.
func threadsPerJob(jobs int) int { return max(1, runtime.GOMAXPROCS(0)/jobs) }

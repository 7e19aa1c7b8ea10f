package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/untied-ml/untied/repro/result"
	"github.com/untied-ml/untied/repro/sweep"
)

// sweepJobs is sweep.Run for cells, slice i/n of all, run by runJobs.
func sweepJobs(ctx context.Context, jobs int, all, cells []sweep.Cell, i, n int, args []string, keepGoing bool, w io.Writer) error {
	todo, stale, err := sweep.Plan(cells, keepGoing, w)
	if err != nil {
		return err
	}
	for t, k := range todo {
		todo[t] = i - 1 + n*k // cells[k] is all[i−1+n·k] (sweep.Slice)
	}
	return errors.Join(append(stale, runJobs(ctx, jobs, threadsPerJob(jobs), all, todo, args, keepGoing, w))...)
}

// runJobs runs the cells of todo (indices into all, the experiment's whole
// list of cells) up to jobs at a time, each in a process of its own,
// `untied sweep -cells g/len(all)` for cell index g−1, with GOMAXPROCS =
// threads. The next free job takes the next cell, so cheap and costly cells
// balance themselves. Small models use two threads little better than one
// (measured: quick-profile ResNet-50 at width 4, 17.2 s on two threads
// against 15.3–19.5 s on one), so two one-thread cells at once finish a
// sweep nearly twice as fast; results do not depend on the thread count.
//
// When ctx ends (an interrupt), every running cell is sent SIGINT and
// checkpoints, as in a sweep of its own. A failed cell stops the sweep
// (running cells checkpoint) unless keepGoing.
func runJobs(ctx context.Context, jobs, threads int, all []sweep.Cell, todo []int, args []string, keepGoing bool, w io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("-jobs: cannot find this command to start its jobs: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fmt.Fprintf(w, "sweep: %d cells to run, %d at once with %d thread(s) each\n", len(todo), jobs, threads)
	var (
		mu      sync.Mutex // guards the counters, errs and w
		wg      sync.WaitGroup
		errs    []error
		done    int // cells that ended
		started int
		start   = time.Now()
		next    = make(chan int)
		failed  = false
	)
	worker := func() {
		defer wg.Done()
		for g := range next {
			c := all[g]
			mu.Lock()
			started++
			eta := "?"
			if done > 0 {
				eta = (time.Since(start) * time.Duration(len(todo)-done) / time.Duration(done)).Round(time.Second).String()
			}
			fmt.Fprintf(w, "sweep: starting %s (%d of %d, ETA %s)\n", c.ID(), started, len(todo), eta)
			mu.Unlock()
			out, err := runCell(ctx, exe, g, len(all), threads, args)
			mu.Lock()
			done++
			switch {
			case ctx.Err() != nil:
			case err != nil:
				err = fmt.Errorf("cell %s: %w\n%s", c.ID(), err, strings.TrimSpace(out))
				fmt.Fprintf(w, "sweep: %v\n", err)
				errs = append(errs, err)
				if !keepGoing {
					failed = true
					cancel()
				}
			default:
				fmt.Fprintf(w, "sweep: [%d/%d] %s: %s\n", done, len(todo), c.ID(), summary(c))
			}
			mu.Unlock()
		}
	}
	wg.Add(jobs)
	for range jobs {
		go worker()
	}
feed:
	for _, g := range todo {
		select {
		case next <- g:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	switch {
	case failed:
		return errors.Join(errs...)
	case ctx.Err() != nil:
		return errors.New("interrupted: each running cell wrote a checkpoint; run the sweep again to resume")
	}
	fmt.Fprintf(w, "sweep: done in %s\n", time.Since(start).Round(time.Second))
	return errors.Join(errs...)
}

// runCell runs cell index g of n as `untied sweep -quiet -cells g+1/n` with
// GOMAXPROCS threads, and returns what it printed.
func runCell(ctx context.Context, exe string, g, n, threads int, args []string) (string, error) {
	cmd := exec.CommandContext(ctx, exe, append([]string{"sweep", "-quiet", "-no-table", "-cells", fmt.Sprintf("%d/%d", g+1, n)}, args...)...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(threads))
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	dieWithParent(cmd)
	cmd.WaitDelay = time.Minute // time to write the checkpoint
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// summary is a finished cell's line, as sweep.Run prints it.
func summary(c sweep.Cell) string {
	r, err := result.Read(sweep.ResultPath(c)) // after a divergence, the retry's
	if err != nil {
		return err.Error()
	}
	if !r.Finished {
		return "not finished: running in another process, or interrupted (a later sweep resumes it)"
	}
	return sweep.Summary(r)
}

// threadsPerJob shares this process's GOMAXPROCS among jobs, one at least.
func threadsPerJob(jobs int) int { return max(1, runtime.GOMAXPROCS(0)/jobs) }

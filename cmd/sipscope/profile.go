package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// profiling holds the --cpuprofile and --memprofile flags of the root
// command: the way to see where a slow run on a customer's capture goes,
// without a rebuild.
type profiling struct {
	CPU, Mem string
	cpuFile  *os.File
}

func (p *profiling) flags(root *cobra.Command) {
	root.PersistentFlags().StringVar(&p.CPU, "cpuprofile", "", "write a CPU profile to this file (go tool pprof)")
	root.PersistentFlags().StringVar(&p.Mem, "memprofile", "", "write a heap profile to this file when the command ends")
}

// wrap makes cmd run under the profiles the flags ask for.
func (p *profiling) wrap(cmd *cobra.Command) *cobra.Command {
	run := cmd.RunE
	if run == nil {
		return cmd
	}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if err := p.start(); err != nil {
			return err
		}
		err := run(c, args)
		if perr := p.stop(); err == nil {
			err = perr
		}
		return err
	}
	return cmd
}

func (p *profiling) start() error {
	if p.CPU == "" {
		return nil
	}
	f, err := os.Create(p.CPU)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	p.cpuFile = f
	return nil
}

// stop ends the CPU profile and writes the heap profile. It runs after the
// command, whether or not it failed.
func (p *profiling) stop() error {
	var errs []error
	if p.cpuFile != nil {
		pprof.StopCPUProfile()
		if err := p.cpuFile.Close(); err != nil {
			errs = append(errs, fmt.Errorf("--cpuprofile: %w", err))
		}
		p.cpuFile = nil
	}
	if p.Mem != "" {
		f, err := os.Create(p.Mem)
		if err != nil {
			return fmt.Errorf("--memprofile: %w", err)
		}
		runtime.GC() // up-to-date statistics of what is still live
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			errs = append(errs, fmt.Errorf("--memprofile: %w", err))
		}
		if err := f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("--memprofile: %w", err))
		}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

package checkpoint

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/npz"
	"github.com/untied-ml/untied/core/optim"
	"github.com/untied-ml/untied/core/tensor"
)

// Optimizer is an optimizer whose state a checkpoint keeps (*optim.SGD).
type Optimizer interface {
	State() optim.State
	SetState(optim.State) error
}

// optPrefix starts the names of optimizer state; no network tensor has it.
const optPrefix = "opt."

// MetaPrefix starts the names of arrays a caller stores beside the state
// (the runner keeps its partial result as "run.result"); Restore skips
// them, so any tool can read a training checkpoint.
const MetaPrefix = "run."

// Arrays returns net's state and each optimizer's state as arrays under
// their checkpoint names. Float arrays share storage with net.
func Arrays(net nn.Module, opts ...Optimizer) map[string]npz.Array {
	out := map[string]npz.Array{}
	shapes := map[string][]int{}
	for _, n := range nn.State(net) {
		out[n.Name] = npz.Array{Shape: n.Value.Shape, Data: n.Value.Data[:n.Value.Len()]}
		shapes[n.Name] = n.Value.Shape
	}
	for i, o := range opts {
		s := o.State()
		p := optPrefix + strconv.Itoa(i) + "."
		out[p+"step"] = npz.Array{Shape: []int{}, Ints: []int64{int64(s.Step)}}
		for name, v := range s.Velocity {
			shape, ok := shapes[name]
			if !ok || tensor.Volume(shape) != len(v) {
				shape = []int{len(v)}
			}
			out[p+"velocity."+name] = npz.Array{Shape: shape, Data: v}
		}
	}
	return out
}

// Save writes net's state and its optimizers' states to path (atomically,
// see npz.Write).
func Save(path string, net nn.Module, opts ...Optimizer) error {
	return npz.Write(path, Arrays(net, opts...))
}

// Load restores what Save wrote into net and opts (built as they were for
// Save: same architecture, same optimizer parameters and noise setting).
// Every network tensor must be there, with its shape, and no other; state
// of optimizers beyond len(opts) is ignored, so a network alone can be read
// from a training checkpoint. On error nothing is changed.
func Load(path string, net nn.Module, opts ...Optimizer) error {
	arrays, err := npz.Read(path)
	if err != nil {
		return err
	}
	if err := Restore(arrays, net, opts...); err != nil {
		return fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	return nil
}

// Restore is Load from arrays already read.
func Restore(arrays map[string]npz.Array, net nn.Module, opts ...Optimizer) error {
	tensors := map[string]*tensor.Tensor{}
	states := make([]optim.State, len(opts))
	for i := range states {
		states[i].Step = -1
		states[i].Velocity = map[string][]float32{}
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(arrays)) {
		a := arrays[name]
		if strings.HasPrefix(name, MetaPrefix) {
			continue // the caller's own metadata
		}
		rest, isOpt := strings.CutPrefix(name, optPrefix)
		if !isOpt {
			if a.Ints != nil {
				errs = append(errs, fmt.Errorf("%s is an integer array, want float32", name))
				continue
			}
			tensors[name] = &tensor.Tensor{Shape: a.Shape, Data: a.Data}
			continue
		}
		idx, field, _ := strings.Cut(rest, ".")
		i, err := strconv.Atoi(idx)
		if err != nil || i < 0 {
			errs = append(errs, fmt.Errorf("%s: want opt.<index>.<field>", name))
			continue
		}
		if i >= len(opts) {
			continue // an optimizer the caller did not ask for
		}
		if err := setField(&states[i], field, a); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	for i, s := range states {
		if s.Step < 0 {
			errs = append(errs, fmt.Errorf("missing opt.%d.step: no state of optimizer %d", i, i))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// Apply, undoing everything if one part fails.
	netBefore := map[string]*tensor.Tensor{}
	for _, n := range nn.State(net) {
		netBefore[n.Name] = n.Value.Clone()
	}
	optBefore := make([]optim.State, len(opts))
	for i, o := range opts {
		optBefore[i] = o.State()
	}
	undo := func(upto int) {
		_ = nn.LoadState(net, netBefore)
		for i := range upto {
			_ = opts[i].SetState(optBefore[i])
		}
	}
	if err := nn.LoadState(net, tensors); err != nil {
		return err
	}
	for i, o := range opts {
		if err := o.SetState(states[i]); err != nil {
			undo(i)
			return fmt.Errorf("optimizer %d: %w", i, err)
		}
	}
	return nil
}

// setField stores one array of an optimizer's state.
func setField(s *optim.State, field string, a npz.Array) error {
	switch {
	case field == "step":
		if a.Ints == nil || len(a.Ints) != 1 || a.Ints[0] < 0 {
			return errors.New("want one non-negative integer")
		}
		s.Step = int(a.Ints[0])
	case field == "noise":
		// The update-noise generator's state, which checkpoints held when
		// the noise was a PCG stream; it is now a function of the seed and
		// the step, so the field is read past.
	case strings.HasPrefix(field, "velocity."):
		if a.Ints != nil {
			return errors.New("integer array, want float32")
		}
		s.Velocity[strings.TrimPrefix(field, "velocity.")] = a.Data
	default:
		return errors.New("unknown optimizer field (want step or velocity.<param>)")
	}
	return nil
}

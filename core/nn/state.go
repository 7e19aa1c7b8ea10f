package nn

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/untied-ml/untied/core/tensor"
)

// Named is one tensor of a network's state under its stable name.
type Named struct {
	Name  string
	Value *tensor.Tensor
}

// State lists every tensor a network needs to resume or to be compared
// elsewhere, in a fixed order: depth first through m (Walk), each layer's
// parameters by their Name (layer.W, layer.B, layer.bias, bn.gamma,
// bn.beta), each BatchNorm's running statistics after its parameters as
// <bn>.running_mean and <bn>.running_var, both shaped [C]. The tensors share
// storage with the network: writing into them changes it. It panics if two
// tensors share a name, which is a bug in the architecture.
func State(m Module) []Named {
	var out []Named
	seen := map[*Param]bool{}
	add := func(p *Param) {
		if !seen[p] {
			seen[p] = true
			out = append(out, Named{p.Name, p.Value})
		}
	}
	Walk(m, func(m Module) {
		if _, ok := m.(Container); ok {
			return // its parameters are its children's
		}
		for _, p := range m.Params() {
			add(p)
		}
		if bn, ok := m.(*BatchNorm); ok {
			out = append(out,
				Named{bn.Name + ".running_mean", &tensor.Tensor{Shape: []int{bn.C}, Data: bn.RunMean}},
				Named{bn.Name + ".running_var", &tensor.Tensor{Shape: []int{bn.C}, Data: bn.RunVar}})
		}
	})
	for _, p := range m.Params() { // any a container holds itself
		add(p)
	}
	names := map[string]bool{}
	for _, n := range out {
		if names[n.Name] {
			panic(fmt.Sprintf("nn: two state tensors named %q", n.Name))
		}
		names[n.Name] = true
	}
	return out
}

// maxStateErrs is the most problems a LoadState error lists one by one:
// loading the wrong file would otherwise list every tensor twice.
const maxStateErrs = 12

// LoadState copies tensors into m's state, by name: every name State lists
// must be present with its shape, and no other. On error m is unchanged;
// the error lists the missing, misshapen and unexpected tensors (the
// first few, then how many more).
func LoadState(m Module, tensors map[string]*tensor.Tensor) error {
	state := State(m)
	var errs []error
	want := make(map[string]bool, len(state))
	for _, n := range state {
		want[n.Name] = true
		t, ok := tensors[n.Name]
		switch {
		case !ok || t == nil:
			errs = append(errs, fmt.Errorf("missing %s, want shape %v", n.Name, n.Value.Shape))
		case !t.SameShape(n.Value.Shape...) || len(t.Data) < t.Len():
			errs = append(errs, fmt.Errorf("%s has shape %v (%d values), want %v", n.Name, t.Shape, len(t.Data), n.Value.Shape))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(tensors)) {
		if t := tensors[name]; !want[name] && t != nil {
			errs = append(errs, fmt.Errorf("unexpected %s (shape %v): the network has no such tensor", name, t.Shape))
		} else if !want[name] {
			errs = append(errs, fmt.Errorf("unexpected %s: the network has no such tensor", name))
		}
	}
	if len(errs) > maxStateErrs {
		more := fmt.Errorf("and %d more problems", len(errs)-maxStateErrs+1)
		errs = append(errs[:maxStateErrs-1], more)
	}
	if len(errs) > 0 {
		return fmt.Errorf("nn: load state: %w", errors.Join(errs...))
	}
	for _, n := range state {
		n.Value.CopyFrom(tensors[n.Name])
	}
	return nil
}

package noise

import (
	"strings"
	"testing"
)

func TestParseDist(t *testing.T) {
	for s, want := range map[string]Dist{"normal": Normal, "uniform": Uniform, " Normal ": Normal} {
		if got, err := ParseDist(s); got != want || err != nil {
			t.Errorf("ParseDist(%q) = %v, %v; want %v, nil", s, got, err, want)
		}
	}
	if _, err := ParseDist("gaussian"); err == nil || !strings.Contains(err.Error(), `"gaussian"`) || !strings.Contains(err.Error(), `"normal" or "uniform"`) {
		t.Errorf(`ParseDist("gaussian") error = %v, want one naming the value and the choices`, err)
	}
	// Round trip through String, and Set as a flag.Value.
	for _, d := range []Dist{Normal, Uniform} {
		var got Dist
		if err := got.Set(d.String()); err != nil || got != d {
			t.Errorf("Dist.Set(%q) = %v, %v", d.String(), got, err)
		}
	}
	d := Uniform
	if err := d.Set("bogus"); err == nil || d != Uniform {
		t.Errorf("Dist.Set(bogus) = %v, left %v; want an error and Uniform kept", err, d)
	}
}

package tensor

import "testing"

func TestEnsureReusesStorage(t *testing.T) {
	a := New(2, 3, 4)
	b := Ensure(a, 4, 6)
	if &b.Data[0] != &a.Data[0] {
		t.Errorf("Ensure(24 elements into 24) allocated new storage")
	}
	if !b.SameShape(4, 6) {
		t.Errorf("Ensure shape = %v, want [4 6]", b.Shape)
	}
	c := Ensure(b, 2, 2)
	if c.Len() != 4 || len(c.Data) != 4 {
		t.Errorf("Ensure(2,2) Len = %d, len(Data) = %d, want 4, 4", c.Len(), len(c.Data))
	}
	d := Ensure(c, 5, 5)
	if &d.Data[0] == &a.Data[0] {
		t.Errorf("Ensure(25 elements into 24) reused storage")
	}
}

func TestViewSharesStorage(t *testing.T) {
	a := New(2, 3)
	v := a.View(3, 2)
	v.Data[5] = 7
	if a.Data[5] != 7 {
		t.Errorf("view write not visible in parent")
	}
	defer func() {
		if recover() == nil {
			t.Errorf("View(4) of a 6-element tensor did not panic")
		}
	}()
	a.View(4)
}

func TestNorms(t *testing.T) {
	a := []float32{3, 4}
	if got := Norm(a); got != 5 {
		t.Errorf("Norm(%v) = %v, want 5", a, got)
	}
	Axpy(2, []float32{1, 1}, a)
	if a[0] != 5 || a[1] != 6 {
		t.Errorf("Axpy = %v, want [5 6]", a)
	}
}

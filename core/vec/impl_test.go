package vec

import "testing"

// withImpl runs f with im as the package's implementation; the tests run
// every check once per implementation this CPU can run:
//
//	for _, im := range impls {
//		withImpl(im, func() { ... })
//	}
func withImpl(im *impl, f func()) {
	defer func(old *impl) { best = old }(best)
	best = im
	f()
}

// TestImpls: generic comes first and is the pure-Go definition; every
// other implementation fills every loop; the one in use is the last.
func TestImpls(t *testing.T) {
	if impls[0] != generic || best != impls[len(impls)-1] {
		t.Fatalf("impls from %s to %s, best %s: want generic first and best last", impls[0].name, impls[len(impls)-1].name, best.name)
	}
	t.Logf("%d implementations, in use %s", len(impls), best.name)
	for _, im := range impls {
		if im.shiftedSums == nil || im.dotHat == nil || im.normalize == nil || im.normGrad == nil ||
			im.relu == nil || im.reluGrad == nil || im.add == nil || im.addRelu == nil ||
			im.sumSq == nil || im.scaleSumSq == nil || im.dots == nil || im.axpbyDots == nil || im.padRows == nil ||
			im.gather16 == nil || im.deal2 == nil || im.addStride2 == nil || im.maxPool3s2 == nil {
			t.Errorf("impl %s lacks a loop", im.name)
		}
	}
}

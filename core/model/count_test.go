package model

import (
	"math"
	"testing"

	"github.com/untied-ml/untied/core/nn"
)

// Parameter counts (W, BN γ/β, biases; B excluded) at the published width,
// 1000 classes, 3×224×224 inputs, standard stem.
//
// ResNet-18, by hand:
//
//	stem     conv 7·7·3·64 = 9,408 + BN 128                                 =      9,536
//	layer1   2 × (2 · 3·3·64·64 + 2·128) = 2 × 73,984                       =    147,968
//	         projection 64·64 + 128 (torchvision has none here)             =      4,224
//	layer2   3·3·64·128 + 3·3·128·128 + 512 + 64·128 + 256 = 230,144
//	         + 2 · 147,456 + 512 = 295,424                                  =    525,568
//	layer3   294,912 + 589,824 + 1,024 + 32,768 + 512 = 919,040
//	         + 2 · 589,824 + 1,024 = 1,180,672                              =  2,099,712
//	layer4   1,179,648 + 2,359,296 + 2,048 + 131,072 + 1,024 = 3,673,088
//	         + 2 · 2,359,296 + 2,048 = 4,720,640                            =  8,393,728
//	fc       512·1000 + 1000                                                =    513,000
//	total                                                                   = 11,693,736
//
// that is torchvision's 11,689,512 plus the group-1 projection; ResNet-34 is
// likewise torchvision's 21,797,672 + 4,224 = 21,801,896. The bottleneck
// ResNets already have a projection on every group's first block in
// torchvision (64 → 256 in group 1), so v1 50/101/152 are exactly
// torchvision's 25,557,032, 44,549,160 and 60,192,808.
//
// v2 differs from v1 only in BN placement. A block with input c and inner
// width m gains its pre-activation BN (2c) and loses bn3 (2·4m) and, on a
// projection, the projection's BN (2·4m); for the non-first blocks c = 4m so
// this cancels. The first blocks give 2c − 16m = 128−1,024, 512−2,048,
// 1,024−4,096, 2,048−8,192, that is −11,648; the stem loses its BN (−128)
// and the final BN adds 2·2048 = 4,096: −7,680 in all, e.g. ResNet-50 v2
// 25,557,032 − 7,680 = 25,549,352.
//
// CIFAR ResNet-20 (3 channels, 10 classes, 1×1-conv+BN projections at the
// two width changes):
//
//	stem    3·3·3·16 + 32                                           =     464
//	group1  3 × (2 · 3·3·16·16 + 2·32) = 3 × 4,672                  =  14,016
//	group2  4,608 + 9,216 + 128 + 16·32 + 64 = 14,528; + 2 × 18,560 =  51,648
//	group3  18,432 + 36,864 + 256 + 32·64 + 128 = 57,728; + 2 × 73,984 = 205,696
//	fc      64·10 + 10                                              =     650
//	total                                                           = 272,474
//
// (He et al.'s 0.27M.) ResNet-56, 8 more blocks per group: 464 + 9 × 4,672
// + 14,528 + 8 × 18,560 + 57,728 + 8 × 73,984 + 650 = 855,770, 0.86M; He et
// al. print 0.85M for their parameter-free (zero-padding) shortcuts, 2,752
// fewer: 853,018. LeNet-5 on 28×28×1 with 10 classes: 156 + 2,416 + 48,120 +
// 10,164 + 850 = 61,706.
func TestCountWeights(t *testing.T) {
	imagenet := func(arch string) Config {
		return Config{Arch: arch, Classes: 1000, InChannels: 3, InputSize: 224}
	}
	// published is in millions as papers round it; off is how far our
	// rounded count may be from it: the v2 nets have no count of their own
	// in the papers and are compared with v1's, and ResNet-56 differs by its
	// projections (see above).
	tests := []struct {
		cfg            Config
		want           int
		published, off float64
		deep           bool
	}{
		{imagenet("resnet18"), 11_693_736, 11.69, 0, false},
		{imagenet("resnet34"), 21_801_896, 21.80, 0, false},
		{imagenet("resnet50"), 25_557_032, 25.56, 0, false},
		{imagenet("resnet101"), 44_549_160, 44.55, 0, true},
		{imagenet("resnet152"), 60_192_808, 60.19, 0, true},
		{imagenet("resnet50v2"), 25_549_352, 25.56, 0.01, false},
		{imagenet("resnet101v2"), 44_541_480, 44.55, 0.01, true},
		{imagenet("resnet152v2"), 60_185_128, 60.19, 0.01, true},
		{Config{Arch: "resnet20", Classes: 10, InChannels: 3, InputSize: 32}, 272_474, 0.27, 0, false},
		{Config{Arch: "resnet56", Classes: 10, InChannels: 3, InputSize: 32}, 855_770, 0.85, 0.01, false},
		{Config{Arch: "lenet", Classes: 10, InChannels: 1, InputSize: 28}, 61_706, 0.06, 0, false},
		// BioTorch's LeNetMNIST: the same layers' sizes (its conv3 is LeNet-5's fc1).
		{Config{Arch: "lenet-mnist", Classes: 10, InChannels: 1, InputSize: 32}, 61_706, 0.06, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.cfg.Arch, func(t *testing.T) {
			if tt.deep && testing.Short() {
				t.Skip("full-width deep ResNet (about 1 GB of W, B and gradients) in -short mode")
			}
			m, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := CountWeights(m)
			if got != tt.want {
				t.Errorf("CountWeights(%s) = %d, want %d", tt.cfg.Arch, got, tt.want)
			}
			if r := math.Round(float64(got)/1e4) / 100; math.Abs(r-tt.published) > tt.off+1e-9 {
				t.Errorf("CountWeights(%s) = %.2fM, published %.2fM ± %.2f", tt.cfg.Arch, r, tt.published, tt.off)
			}
		})
	}
}

// TestCountWeightsWidth checks that CountWeights skips exactly the feedback
// weights and that the width multiplier scales every residual conv: at
// twice the width, their weights grow fourfold.
func TestCountWeightsWidth(t *testing.T) {
	residualConvs := func(width int) int {
		m, err := New(Config{Arch: "resnet18", Width: width, Classes: 10, InChannels: 3, InputSize: 32, SmallStem: true})
		if err != nil {
			t.Fatal(err)
		}
		all, feedback, convs := 0, 0, 0
		for _, p := range m.Params() {
			all += p.Value.Len()
			switch {
			case p.Kind == nn.Feedback:
				feedback += p.Value.Len()
			case p.Kind == nn.Forward && p.Name != "stem.conv.W" && p.Name != "fc.W":
				convs += p.Value.Len()
			}
		}
		if got := CountWeights(m); got != all-feedback {
			t.Errorf("CountWeights = %d, want all %d − feedback %d", got, all, feedback)
		}
		return convs
	}
	if a, b := residualConvs(4), residualConvs(8); b != 4*a {
		t.Errorf("residual conv weights at width 8 = %d, want 4 × %d (width 4)", b, a)
	}
}

package data

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/untied-ml/untied/core/tensor"
)

// Three classes of four training images each, in sorted wnid order, and the
// sizes of the four images of a class (wide, tall, square, odd).
var (
	testWNIDs  = []string{"n01440764", "n01443537", "n02102040"}
	testSizes  = [][2]int{{40, 30}, {24, 48}, {64, 64}, {33, 17}}
	testValLab = []int{2, 0, 1, 1, 0, 2} // labels of ILSVRC2012_val_00000001…6
)

// classImage is an image of class k: channel k is bright, the others dark,
// with a gradient so that crops differ. Class 1's second image is gray.
func classImage(k, w, h int, gray bool) image.Image {
	if gray {
		img := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				img.SetGray(x, y, color.Gray{uint8(60 + 120*x/w + 60*y/h)})
			}
		}
		return img
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := [3]uint8{uint8(20 + 30*x/w), uint8(20 + 30*y/h), 30}
			c[k] = uint8(180 + 60*x/w)
			img.SetRGBA(x, y, color.RGBA{c[0], c[1], c[2], 255})
		}
	}
	return img
}

func writeJPEG(t testing.TB, path string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func valName(i int) string { return fmt.Sprintf("ILSVRC2012_val_%08d", i+1) }

// tinyImageNet writes an ILSVRC-like tree in a temporary folder: train/ with
// testWNIDs × testSizes, and val/*.JPEG labelled by LOC_val_solution.csv.
func tinyImageNet(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for k, w := range testWNIDs {
		for i, s := range testSizes {
			writeJPEG(t, filepath.Join(dir, "train", w, fmt.Sprintf("%s_%d.JPEG", w, i+1)), classImage(k, s[0], s[1], k == 1 && i == 1))
		}
	}
	csv := "ImageId,PredictionString\n"
	for i, l := range testValLab {
		s := testSizes[i%len(testSizes)]
		writeJPEG(t, filepath.Join(dir, "val", valName(i)+".JPEG"), classImage(l, s[1], s[0], false))
		csv += fmt.Sprintf("%s,%s 1 2 30 40 %s 3 4 20 10 \n", valName(i), testWNIDs[l], testWNIDs[(l+1)%3])
	}
	writeFile(t, filepath.Join(dir, "LOC_val_solution.csv"), csv)
	return dir
}

func mustOpen(t testing.TB, dir string, size int) *ImageNet {
	t.Helper()
	n, err := OpenImageNet(dir, size)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// unnormalise returns the mean of each channel of sample k in [0,1].
func channelMeans(x *tensor.Tensor, k int) [3]float64 {
	s := x.Shape[2] * x.Shape[3]
	var m [3]float64
	for c := range 3 {
		for _, v := range x.Data[(3*k+c)*s : (3*k+c+1)*s] {
			m[c] += float64(v*ImageNetStd[c]+ImageNetMean[c]) / float64(s)
		}
	}
	return m
}

// checkColours checks that each sample's brightest channel is its label's
// (the gray image, whose channels are equal, excepted), which ties every
// label to the image it came with.
func checkColours(t *testing.T, what string, x *tensor.Tensor, labels []int32) {
	t.Helper()
	for k, l := range labels {
		m := channelMeans(x, k)
		if math.Abs(m[0]-m[1]) < 0.02 && math.Abs(m[1]-m[2]) < 0.02 {
			continue // the gray image
		}
		if best := slices.Index(m[:], slices.Max(m[:])); best != int(l) {
			t.Errorf("%s sample %d: label %d but channel means %.3f", what, k, l, m)
		}
	}
}

func TestOpenImageNet(t *testing.T) {
	dir := tinyImageNet(t)
	n := mustOpen(t, dir, 32)
	if n.Classes() != 3 || !slices.Equal(n.WNIDs, testWNIDs) || n.TrainLen() != 12 || n.ValLen() != 6 {
		t.Fatalf("OpenImageNet = %d classes %v, %d train, %d val; want 3 %v, 12, 6", n.Classes(), n.WNIDs, n.TrainLen(), n.ValLen(), testWNIDs)
	}
	if n.Size != 32 || n.ResizeVal != 37 || n.ValLabels != filepath.Join(dir, "LOC_val_solution.csv") {
		t.Errorf("Size %d, ResizeVal %d, ValLabels %q; want 32, 37 (32·256/224 rounded), the csv", n.Size, n.ResizeVal, n.ValLabels)
	}
	if n.TrainBatches(5) != 3 || n.ValBatches(4) != 2 {
		t.Errorf("TrainBatches(5), ValBatches(4) = %d, %d; want 3, 2", n.TrainBatches(5), n.ValBatches(4))
	}

	x, labels, err := n.ValBatch(0, 6, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x.Shape, []int{6, 3, 32, 32}) || !slices.Equal(labels, []int32{2, 0, 1, 1, 0, 2}) {
		t.Errorf("ValBatch(0, 6) = shape %v labels %v, want [6 3 32 32] %v", x.Shape, labels, testValLab)
	}
	checkColours(t, "val", x, labels)

	// Batches of 5 cover each training image once per epoch: 5, 5, then 2.
	count := make([]int, 3)
	for i := range n.TrainBatches(5) {
		x, labels, err = n.TrainBatch(1, 0, i, 5, x, labels)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int{min(5, 12-5*i), 3, 32, 32}; !slices.Equal(x.Shape, want) || len(labels) != want[0] {
			t.Errorf("TrainBatch(i %d) = shape %v, %d labels, want %v", i, x.Shape, len(labels), want)
		}
		for _, l := range labels {
			count[l]++
		}
		checkColours(t, fmt.Sprintf("train batch %d", i), x, labels)
	}
	if !slices.Equal(count, []int{4, 4, 4}) {
		t.Errorf("labels of an epoch per class = %v, want 4 each", count)
	}
	for _, i := range []int{-1, 3} {
		if _, _, err := n.TrainBatch(1, 0, i, 5, nil, nil); err == nil || !strings.Contains(err.Error(), "3 batches") {
			t.Errorf("TrainBatch(i %d) of 3 batches: error = %v", i, err)
		}
	}
	if _, _, err := n.ValBatch(0, 0, nil, nil); err == nil {
		t.Errorf("ValBatch(batch 0): error = nil")
	}
}

func TestImageNetValFormats(t *testing.T) {
	for _, tc := range []struct {
		name, file, content string
	}{
		{"index", "val.txt", "ILSVRC2012_val_00000001.JPEG 2\nILSVRC2012_val_00000002.JPEG 0\nILSVRC2012_val_00000003.JPEG\t1\n" +
			"val/ILSVRC2012_val_00000004.JPEG 1\n\n# comment\nILSVRC2012_val_00000005.JPEG 0\r\nILSVRC2012_val_00000006.JPEG 2\n" +
			"ILSVRC2012_val_00000007.JPEG 1\n"}, // an entry without an image is fine
		{"wnid in val/", "val/val.txt", "ILSVRC2012_val_00000001 n02102040\nILSVRC2012_val_00000002 n01440764\nILSVRC2012_val_00000003 n01443537\n" +
			"ILSVRC2012_val_00000004 n01443537\nILSVRC2012_val_00000005 n01440764\nILSVRC2012_val_00000006 2\n"},
	} {
		dir := tinyImageNet(t)
		os.Remove(filepath.Join(dir, "LOC_val_solution.csv"))
		writeFile(t, filepath.Join(dir, tc.file), tc.content)
		n, err := OpenImageNet(dir, 16)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		_, labels, err := n.ValBatch(0, 6, nil, nil)
		if err != nil || !slices.Equal(labels, []int32{2, 0, 1, 1, 0, 2}) || n.ValLabels != filepath.Join(dir, tc.file) {
			t.Errorf("%s: ValBatch labels = %v, %v from %q; want %v", tc.name, labels, err, n.ValLabels, testValLab)
		}
	}

	// val/<wnid>/*.JPEG needs no label file.
	dir := tinyImageNet(t)
	os.RemoveAll(filepath.Join(dir, "val"))
	for i, l := range testValLab {
		writeJPEG(t, filepath.Join(dir, "val", testWNIDs[l], valName(i)+".JPEG"), classImage(l, 20, 20, false))
	}
	n := mustOpen(t, dir, 16)
	_, labels, err := n.ValBatch(0, 6, nil, nil)
	if err != nil || !slices.Equal(labels, []int32{0, 0, 1, 1, 2, 2}) || n.ValLabels != "" {
		t.Errorf("val class folders: labels = %v, %v, ValLabels %q; want [0 0 1 1 2 2]", labels, err, n.ValLabels)
	}
}

// TestImageNetDeterminism checks that a batch depends on (seed, epoch,
// position) only: not on the number of workers nor on the batch size.
func TestImageNetDeterminism(t *testing.T) {
	n := mustOpen(t, tinyImageNet(t), 24)
	epoch := func(seed uint64, e, batch int) ([]float32, []int32) {
		var xs []float32
		var ls []int32
		var x *tensor.Tensor
		var labels []int32
		var err error
		for i := range n.TrainBatches(batch) {
			if x, labels, err = n.TrainBatch(seed, e, i, batch, x, labels); err != nil {
				t.Fatal(err)
			}
			xs = append(xs, x.Data...)
			ls = append(ls, labels...)
		}
		return xs, ls
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(1)
	x1, l1 := epoch(7, 3, 4)
	runtime.GOMAXPROCS(2)
	x2, l2 := epoch(7, 3, 4)
	n.Workers = 5
	x5, l5 := epoch(7, 3, 6)
	n.Workers = 0
	if !slices.Equal(x1, x2) || !slices.Equal(l1, l2) {
		t.Errorf("epoch with GOMAXPROCS 1 and 2 differ")
	}
	if !slices.Equal(x1, x5) || !slices.Equal(l1, l5) {
		t.Errorf("epoch in batches of 4 on GOMAXPROCS workers and of 6 on 5 workers differ")
	}
	xe, le := epoch(7, 4, 4)
	xs, ls := epoch(8, 3, 4)
	if slices.Equal(l1, le) && slices.Equal(l1, ls) {
		t.Errorf("epochs 3 and 4, seeds 7 and 8 have the same order %v", l1)
	}
	if slices.Equal(x1, xe) || slices.Equal(x1, xs) {
		t.Errorf("epochs 3 and 4, or seeds 7 and 8, give the same images")
	}
	v1, _, err1 := n.ValBatch(1, 4, nil, nil)
	runtime.GOMAXPROCS(1)
	v2, _, err2 := n.ValBatch(1, 4, nil, nil)
	if err1 != nil || err2 != nil || !slices.Equal(v1.Data, v2.Data) {
		t.Errorf("ValBatch with GOMAXPROCS 2 and 1 differ (%v, %v)", err1, err2)
	}
}

// newTestImageNet returns an ImageNet for calling its transforms directly.
func newTestImageNet(size int) *ImageNet {
	n := &ImageNet{Size: size, ResizeVal: int(math.Round(float64(size) * 256 / 224))}
	for c := range 3 {
		for v := range 256 {
			n.lut[c][v] = (float32(v)/255 - ImageNetMean[c]) / ImageNetStd[c]
		}
	}
	return n
}

// pixel returns channel c of output pixel (y, x) of a C×H×W image, back in
// byte units.
func pixel(out []float32, s, c, y, x int) float64 {
	return float64(out[(c*s+y)*s+x]*ImageNetStd[c]+ImageNetMean[c]) * 255
}

// TestImageNetCentreCrop checks the validation geometry: an image whose
// shorter side is already 256 is cropped, unscaled, at offset
// ((512−224)/2, (256−224)/2) = (144, 16); and larger or portrait images
// with a pattern symmetric about their centre give symmetric crops.
func TestImageNetCentreCrop(t *testing.T) {
	n := newTestImageNet(224)
	var sc scratch
	out := make([]float32, 3*224*224)

	src := image.NewRGBA(image.Rect(0, 0, 512, 256))
	for y := range 256 {
		for x := range 512 {
			src.SetRGBA(x, y, color.RGBA{uint8(x / 2), uint8(y), uint8(x % 256), 255})
		}
	}
	n.centreCrop(out, src, &sc)
	for y := range 224 {
		for x := range 224 {
			want := [3]int{(x + 144) / 2, y + 16, (x + 144) % 256}
			for c := range 3 {
				// Only float32 rounding of (v/255 − mean)/std and back.
				if got := pixel(out, 224, c, y, x); math.Abs(got-float64(want[c])) > 1e-3 {
					t.Fatalf("512×256 crop channel %d (%d, %d) = %v, want %d", c, y, x, got, want[c])
				}
			}
		}
	}

	for _, size := range [][2]int{{1024, 512}, {300, 500}, {257, 1000}} {
		w, h := size[0], size[1]
		src := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				dx, dy := math.Abs(float64(x)-float64(w-1)/2), math.Abs(float64(y)-float64(h-1)/2)
				src.SetRGBA(x, y, color.RGBA{uint8(255 * dx / float64(w)), uint8(255 * dy / float64(h)), uint8(int(dx+dy) % 7 * 30), 255})
			}
		}
		n.centreCrop(out, src, &sc)
		rw, rh := resizeShorter(w, h, 256)
		// Symmetric when the margins are equal: (rw−224)/2 and (rh−224)/2
		// are whole, else off by half a pixel.
		if (rw-224)%2 != 0 || (rh-224)%2 != 0 {
			t.Fatalf("%d×%d resizes to %d×%d: margins not whole, pick another size", w, h, rw, rh)
		}
		worst := 0.0
		for c := range 3 {
			for y := range 224 {
				for x := range 224 {
					v := pixel(out, 224, c, y, x)
					worst = max(worst, math.Abs(v-pixel(out, 224, c, y, 223-x)), math.Abs(v-pixel(out, 224, c, 223-y, x)))
				}
			}
		}
		// The resampler rounds each output to a byte: one unit apart at most.
		if worst > 1+1e-3 {
			t.Errorf("%d×%d: centre crop is asymmetric by %v byte units", w, h, worst)
		}
	}
	if w, h := resizeShorter(300, 500, 256); w != 256 || h != 426 {
		t.Errorf("resizeShorter(300, 500, 256) = %d, %d, want 256, 426 (⌊256·500/300⌋)", w, h)
	}
}

// TestImageNetNormalise checks the ImageNet constants and the conversion of
// solid RGB, gray and CMYK images.
func TestImageNetNormalise(t *testing.T) {
	if ImageNetMean != [3]float32{0.485, 0.456, 0.406} || ImageNetStd != [3]float32{0.229, 0.224, 0.225} {
		t.Fatalf("ImageNetMean, ImageNetStd = %v, %v", ImageNetMean, ImageNetStd)
	}
	n := newTestImageNet(8)
	var sc scratch
	out := make([]float32, 3*8*8)
	cmyk := color.CMYK{C: 10, M: 200, Y: 40, K: 30}
	r, g, b, _ := cmyk.RGBA()
	for _, tc := range []struct {
		name string
		img  image.Image
		want [3]float64 // byte values
	}{
		{"rgb", image.NewUniform(color.RGBA{255, 0, 128, 255}), [3]float64{255, 0, 128}},
		{"gray", image.NewUniform(color.Gray{77}), [3]float64{77, 77, 77}},
		{"cmyk", image.NewUniform(cmyk), [3]float64{float64(r >> 8), float64(g >> 8), float64(b >> 8)}},
	} {
		// image.Uniform is unbounded: give it a 20×12 frame as a CMYK,
		// Gray or RGBA image.
		var img draw9
		switch c := tc.img.(*image.Uniform).C.(type) {
		case color.CMYK:
			m := image.NewCMYK(image.Rect(0, 0, 20, 12))
			fill(m, c)
			img = m
		case color.Gray:
			m := image.NewGray(image.Rect(0, 0, 20, 12))
			fill(m, c)
			img = m
		default:
			m := image.NewRGBA(image.Rect(0, 0, 20, 12))
			fill(m, c)
			img = m
		}
		n.centreCrop(out, img, &sc)
		for c := range 3 {
			want := (float32(tc.want[c])/255 - ImageNetMean[c]) / ImageNetStd[c]
			for i, v := range out[c*64 : (c+1)*64] {
				if math.Abs(float64(v-want)) > 1e-6 {
					t.Fatalf("%s: channel %d value %d = %v, want %v", tc.name, c, i, v, want)
				}
			}
		}
	}

	// normalise mirrors rows when asked.
	src := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range src.Pix {
		src.Pix[i] = uint8(i)
	}
	plain, flipped := make([]float32, 3*64), make([]float32, 3*64)
	n.normalise(plain, src, false)
	n.normalise(flipped, src, true)
	for c := range 3 {
		for y := range 8 {
			for x := range 8 {
				if plain[(c*8+y)*8+x] != flipped[(c*8+y)*8+7-x] {
					t.Fatalf("flip: channel %d (%d, %d) is not mirrored", c, y, x)
				}
			}
		}
	}
}

// draw9 is an image that can be filled.
type draw9 interface {
	image.Image
	Set(x, y int, c color.Color)
}

func fill(m draw9, c color.Color) {
	b := m.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			m.Set(x, y, c)
		}
	}
}

func TestImageNetGrayJPEG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.JPEG")
	writeJPEG(t, path, classImage(0, 50, 30, true))
	img, err := decodeImage(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.Gray); !ok {
		t.Fatalf("decoded %T, want *image.Gray (to test its conversion)", img)
	}
	n := newTestImageNet(16)
	out := make([]float32, 3*16*16)
	n.centreCrop(out, img, new(scratch))
	for y := range 16 {
		for x := range 16 {
			r, g, b := pixel(out, 16, 0, y, x), pixel(out, 16, 1, y, x), pixel(out, 16, 2, y, x)
			if math.Abs(r-g) > 1e-3 || math.Abs(g-b) > 1e-3 {
				t.Fatalf("gray pixel (%d, %d) = %v %v %v, want equal channels", y, x, r, g, b)
			}
		}
	}
}

func TestRandomResizedCrop(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	full, sizes := 0, map[image.Point]bool{}
	for range 2000 {
		r := randomResizedCrop(rng, 40, 30)
		w, h := r.Dx(), r.Dy()
		if !r.In(image.Rect(0, 0, 40, 30)) || w < 1 || h < 1 {
			t.Fatalf("crop %v of 40×30 is outside", r)
		}
		// Width and height are rounded: allow half a pixel on each.
		area, ratio := float64(w*h)/1200, float64(w)/float64(h)
		lo, hi := (float64(w)-0.5)/(float64(h)+0.5), (float64(w)+0.5)/(float64(h)-0.5)
		if area < (float64(w)-0.5)*(float64(h)-0.5)/1200-1e-9 || (float64(w)-0.5)*(float64(h)-0.5)/1200 > 1 ||
			hi < 3.0/4 || lo > 4.0/3 {
			t.Fatalf("crop %v: area %.3f, ratio %.3f; want area ≥ 0.08 and ratio in [3/4, 4/3] up to rounding", r, area, ratio)
		}
		sizes[r.Size()] = true
		if w == 40 && h == 30 {
			full++
		}
	}
	if len(sizes) < 50 || full > 100 {
		t.Errorf("2000 crops of 40×30: %d sizes, %d full images; want varied crops", len(sizes), full)
	}
	// No crop fits a 1000×10 strip: the centre crop with ratio 4/3.
	if r := randomResizedCrop(rng, 1000, 10); r != image.Rect(493, 0, 506, 10) {
		t.Errorf("crop of 1000×10 = %v, want the centre 13×10", r)
	}
	if r := randomResizedCrop(rng, 10, 1000); r != image.Rect(0, 493, 10, 506) {
		t.Errorf("crop of 10×1000 = %v, want the centre 10×13", r)
	}
	if r := randomResizedCrop(rng, 1, 1); r != image.Rect(0, 0, 1, 1) {
		t.Errorf("crop of 1×1 = %v", r)
	}
}

// TestImageNetPNGNamedJPEG: ILSVRC-2012 has a PNG file with a .JPEG name.
func TestImageNetPNGNamedJPEG(t *testing.T) {
	dir := tinyImageNet(t)
	var buf bytes.Buffer
	if err := png.Encode(&buf, classImage(2, 30, 30, false)); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "train", testWNIDs[2], "n02102040_1.JPEG"), buf.String())
	n := mustOpen(t, dir, 16)
	x, labels, err := n.TrainBatch(1, 0, 0, 12, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkColours(t, "png", x, labels)
}

func TestImageNetErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(dir string)
		want   []string
	}{
		{"no train", func(dir string) { os.RemoveAll(filepath.Join(dir, "train")) }, []string{"has no train/ folder", "ILSVRC-2012 layout"}},
		{"no val", func(dir string) { os.RemoveAll(filepath.Join(dir, "val")) }, []string{"has no val/ folder"}},
		{"no class folders", func(dir string) {
			os.RemoveAll(filepath.Join(dir, "train"))
			writeJPEG(t, filepath.Join(dir, "train", "a.JPEG"), classImage(0, 8, 8, false))
		}, []string{"train has no class folders"}},
		{"empty class", func(dir string) {
			os.Mkdir(filepath.Join(dir, "train", "n09999999"), 0o755)
			writeFile(t, filepath.Join(dir, "train", "n09999999", "README"), "x")
		}, []string{"class folder", "n09999999 has no JPEG files"}},
		{"no label file", func(dir string) { os.Remove(filepath.Join(dir, "LOC_val_solution.csv")) }, []string{"no label file", "LOC_val_solution.csv", "val.txt"}},
		{"unlabelled image", func(dir string) {
			writeJPEG(t, filepath.Join(dir, "val", "ILSVRC2012_val_00000099.JPEG"), classImage(0, 8, 8, false))
		}, []string{"ILSVRC2012_val_00000099.JPEG has no label in", "LOC_val_solution.csv"}},
		{"unknown wnid", func(dir string) {
			writeFile(t, filepath.Join(dir, "LOC_val_solution.csv"), "ImageId,PredictionString\nILSVRC2012_val_00000001,n01440764 1 2 3 4\nILSVRC2012_val_00000002,n04444444 1 2 3 4\n")
		}, []string{"LOC_val_solution.csv: line 3: unknown wnid \"n04444444\" for \"ILSVRC2012_val_00000002\""}},
		{"unknown val folder", func(dir string) {
			os.RemoveAll(filepath.Join(dir, "val"))
			writeJPEG(t, filepath.Join(dir, "val", "n07777777", "a.JPEG"), classImage(0, 8, 8, false))
		}, []string{"n07777777 is not a class of"}},
		{"empty val", func(dir string) {
			os.RemoveAll(filepath.Join(dir, "val"))
			os.Mkdir(filepath.Join(dir, "val"), 0o755)
		}, []string{"val has no JPEG files and no class folders"}},
	} {
		dir := tinyImageNet(t)
		tc.change(dir)
		_, err := OpenImageNet(dir, 16)
		if err == nil {
			t.Errorf("%s: OpenImageNet error = nil, want one containing %q", tc.name, tc.want)
			continue
		}
		for _, w := range append(tc.want, dir) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: OpenImageNet error = %q, want it to contain %q", tc.name, err, w)
			}
		}
	}
	if _, err := OpenImageNet(t.TempDir(), -1); err == nil {
		t.Errorf("OpenImageNet(size -1): error = nil")
	}
}

// TestImageNetBadJPEG: corrupt and truncated files give an error naming
// them from the batch that holds them, never a panic.
func TestImageNetBadJPEG(t *testing.T) {
	dir := tinyImageNet(t)
	good, err := os.ReadFile(filepath.Join(dir, "val", valName(0)+".JPEG"))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(43, 44))
	garbage := make([]byte, 500)
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	bad := map[string][]byte{
		filepath.Join(dir, "val", valName(1)+".JPEG"):                 good[:len(good)/2],
		filepath.Join(dir, "train", testWNIDs[0], "n01440764_3.JPEG"): garbage,
		filepath.Join(dir, "train", testWNIDs[2], "n02102040_2.JPEG"): nil,
		filepath.Join(dir, "val", valName(4)+".JPEG"):                 append([]byte{0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, 0xff, 0xff, 0xff, 0xff, 3}, make([]byte, 40)...),
	}
	for p, b := range bad {
		writeFile(t, p, string(b))
	}
	n := mustOpen(t, dir, 16)
	var errs []string
	for i := range n.TrainBatches(1) {
		_, _, err := n.TrainBatch(5, 0, i, 1, nil, nil)
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	for i := range n.ValBatches(1) {
		_, _, err := n.ValBatch(i, 1, nil, nil)
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	all := strings.Join(errs, "\n")
	for p := range bad {
		if !strings.Contains(all, p+": ") {
			t.Errorf("errors of the batches do not name %s:\n%s", p, all)
		}
	}
	if !strings.Contains(all, "truncated file") || !strings.Contains(all, "empty file") {
		t.Errorf("errors do not say which file is truncated and which empty:\n%s", all)
	}
	// One batch with two bad files reports the first and counts the other.
	_, _, err = n.ValBatch(0, 6, nil, nil)
	if err == nil || !strings.Contains(err.Error(), valName(1)) || !strings.Contains(err.Error(), "and 1 more errors") {
		t.Errorf("ValBatch over two bad files: error = %v", err)
	}
}

func TestParseValLabels(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]int32
		err  string
	}{
		{"\uFEFFImageId,PredictionString\r\nA,n02102040 1 2 3 4\r\nB, n01440764\r\n", map[string]int32{"A": 2, "B": 0}, ""},
		{"a.JPEG 1\nsub/b.jpg n02102040\n", map[string]int32{"a": 1, "b": 2}, ""},
		{"a.JPEG 3\n", nil, "line 1: label \"3\" for \"a\" is not a wnid or a class index in [0, 3)"},
		{"a.JPEG\n", nil, "line 1: 1 fields in \"a.JPEG\", want \"filename label\""},
		{"a 1\n\na 2\n", nil, "line 3: image \"a\" is listed again (first on line 1)"},
		{"ImageId,PredictionString\nA,\n", nil, "line 2: image \"A\" has an empty PredictionString"},
		{"ImageId,PredictionString\nA n01440764\n", nil, "line 2: \"A n01440764\" has no comma"},
		{"ImageId,PredictionString\nA,2 1 2 3 4\n", nil, "line 2: label \"2\" for \"A\" is not a wnid"},
		{"# only a comment\n", nil, "no labels"},
	} {
		got, err := ParseValLabels(strings.NewReader(tc.in), "labels", testWNIDs)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), "data: labels: "+tc.err) {
				t.Errorf("ParseValLabels(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("ParseValLabels(%q) = %v, %v, want %v", tc.in, got, err, tc.want)
		}
	}
}

// FuzzParseValLabels checks that no label file makes ParseValLabels panic
// and that every label it returns is a class index.
func FuzzParseValLabels(f *testing.F) {
	f.Add("ImageId,PredictionString\nILSVRC2012_val_00000001,n01440764 1 2 3 4 n01443537 5 6 7 8\n")
	f.Add("ILSVRC2012_val_00000001.JPEG 2\nval/x.jpg n01443537\n")
	f.Add("a 99999999999999999999999\n")
	f.Add("\uFEFF\n# c\n,\n")
	f.Fuzz(func(t *testing.T, in string) {
		labels, err := ParseValLabels(strings.NewReader(in), "fuzz", testWNIDs)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "data: fuzz: ") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		if len(labels) == 0 {
			t.Fatalf("no labels and no error")
		}
		for id, l := range labels {
			if id == "" || l < 0 || int(l) >= len(testWNIDs) {
				t.Fatalf("label %q → %d", id, l)
			}
		}
	})
}

func TestLoadImageNetByName(t *testing.T) {
	if _, _, err := Load("imagenet", ""); err == nil || !strings.Contains(err.Error(), "OpenImageNet") {
		t.Errorf(`Load("imagenet") error = %v, want one pointing to OpenImageNet`, err)
	}
}

// BenchmarkImageNetBatch decodes batches of 32 ILSVRC-sized (500×375)
// JPEGs at the paper's size 224, on GOMAXPROCS workers.
func BenchmarkImageNetBatch(b *testing.B) {
	dir := b.TempDir()
	for i := range 32 {
		w := testWNIDs[i%3]
		writeJPEG(b, filepath.Join(dir, "train", w, fmt.Sprintf("%d.JPEG", i)), classImage(i%3, 500, 375, i%7 == 0))
		writeJPEG(b, filepath.Join(dir, "val", w, fmt.Sprintf("%d.JPEG", i)), classImage(i%3, 375, 500, false))
	}
	n := mustOpen(b, dir, 224)
	for _, split := range []string{"train", "val"} {
		b.Run("split="+split, func(b *testing.B) {
			var x *tensor.Tensor
			var labels []int32
			var err error
			for i := 0; b.Loop(); i++ {
				if split == "train" {
					x, labels, err = n.TrainBatch(1, i, 0, 32, x, labels)
				} else {
					x, labels, err = n.ValBatch(0, 32, x, labels)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(32*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// A training loop over ImageNet: batch i of an epoch is decoded on demand,
// the same whatever the machine's core count. (Not run: it needs the data.)
func ExampleOpenImageNet() {
	inet, err := OpenImageNet("/data/ILSVRC2012", 224)
	if err != nil {
		log.Fatal(err) // names what is missing
	}
	const batch, seed = 256, 1
	var x *tensor.Tensor // reused from batch to batch
	var labels []int32
	for epoch := range 90 {
		for i := range inet.TrainBatches(batch) {
			if x, labels, err = inet.TrainBatch(seed, epoch, i, batch, x, labels); err != nil {
				log.Fatal(err) // a corrupt file, named
			}
			// ... forward and backward on x ([256 3 224 224]) and labels ...
		}
		for i := range inet.ValBatches(batch) {
			if x, labels, err = inet.ValBatch(i, batch, x, labels); err != nil {
				log.Fatal(err)
			}
			// ... top-1 and top-5 accuracy ...
		}
	}
	fmt.Println(inet.Classes(), inet.TrainLen(), inet.ValLen()) // 1000 1281167 50000
}

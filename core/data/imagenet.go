package data

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/untied-ml/untied/core/tensor"

	// Resampling comes from golang.org/x/image/draw, the Go team's image
	// library, rather than hand-written code: its kernels widen their support
	// when shrinking (antialiasing, like PIL's resize that torchvision uses),
	// and it has fast paths for the YCbCr and Gray images image/jpeg returns.
	"golang.org/x/image/draw"
)

// ImageNetMean and ImageNetStd are the per-channel (R, G, B) statistics of
// ImageNet's training set that the paper's recipe, like torchvision's,
// normalises with: (v − mean)/std for v in [0,1].
var (
	ImageNetMean = [3]float32{0.485, 0.456, 0.406}
	ImageNetStd  = [3]float32{0.229, 0.224, 0.225}
)

// ImageNetValLabelFiles are the validation label files OpenImageNet looks
// for, in this order, first in the ImageNet folder and then in its val/:
//
//   - LOC_val_solution.csv (the Kaggle ILSVRC download): a header line
//     "ImageId,PredictionString", then one line per image,
//     "ILSVRC2012_val_00000001,n01751748 24 8 460 429 n01751748 ..."; the
//     label is the first wnid of the PredictionString.
//   - val.txt: one "filename label" pair per line, separated by spaces or
//     tabs, where filename may carry a directory and an extension
//     ("ILSVRC2012_val_00000001.JPEG 65") and label is either a wnid or a
//     class index in sorted-wnid order (the order of Caffe's val.txt and of
//     torchvision's ImageFolder). The devkit's
//     ILSVRC2012_validation_ground_truth.txt is not this format: its
//     numbers are ILSVRC IDs in another order, so a one-column file is an
//     error rather than wrong labels.
var ImageNetValLabelFiles = []string{"LOC_val_solution.csv", "val.txt"}

// MaxImagePixels bounds the pixels of one decoded image (64 Mi, 8192×8192);
// a larger header is an error rather than a gigabyte allocation.
const MaxImagePixels = 1 << 26

// imageFile is one image and its class index.
type imageFile struct {
	path  string
	label int32
}

// ImageNet reads ILSVRC-2012 lazily, decoding JPEGs batch by batch with the
// paper's (and torchvision's) preprocessing:
//
//   - training: a random-resized crop (area 8–100% of the image, aspect
//     ratio 3/4–4/3 drawn log-uniformly, at most 10 tries, then a centre
//     crop of the nearest allowed aspect ratio), resized to Size×Size with
//     bilinear interpolation, then mirrored left-right with probability 1/2;
//   - validation: the shorter side resized to ResizeVal (256 for Size 224),
//     then the centre Size×Size crop;
//   - both: RGB (grayscale and CMYK images are converted), values in [0,1]
//     normalised with ImageNetMean and ImageNetStd, in C×H×W order.
//
// The folder layout is ILSVRC-2012's: train/<wnid>/*.JPEG, the class index
// of a wnid being its place in sorted order; and either val/*.JPEG with a
// label file (ImageNetValLabelFiles) or val/<wnid>/*.JPEG. Files ending in
// .jpeg or .jpg in any case are images; a PNG file with a .JPEG name (one
// in ILSVRC-2012's training set) is decoded as PNG.
//
// Batches are random access: batch i of an epoch depends only on (seed,
// epoch, i, batch size), whatever the number of workers, so a run can
// resume mid-epoch. Decoding errors are returned, naming the file. The
// methods are safe for concurrent use (say, to prefetch the next batch).
type ImageNet struct {
	Dir       string
	Size      int      // side of the output images
	ResizeVal int      // validation: the shorter side before the centre crop
	Workers   int      // decoding goroutines; 0 means GOMAXPROCS at each call
	WNIDs     []string // class index → wnid, sorted
	// ValLabels is the label file the validation labels came from, or ""
	// when val/ holds class folders.
	ValLabels string

	train, val []imageFile
	lut        [3][256]float32 // byte value → normalised value, per channel

	mu        sync.Mutex // guards the cached permutation
	perm      []int32
	permSeed  uint64
	permEpoch int
	permOK    bool
}

// OpenImageNet lists the images of an ILSVRC-2012 folder and reads the
// validation labels; it decodes no image. Batches are size×size (0 means
// 224, the paper's size); the validation resize is round(size·256/224).
func OpenImageNet(dir string, size int) (*ImageNet, error) {
	if size == 0 {
		size = 224
	}
	if size < 0 {
		return nil, fmt.Errorf("data: imagenet: image size %d, want at least 1", size)
	}
	const layout = "want the ILSVRC-2012 layout: train/<wnid>/*.JPEG, and val/*.JPEG with LOC_val_solution.csv or val.txt, or val/<wnid>/*.JPEG"
	trainDir, valDir := filepath.Join(dir, "train"), filepath.Join(dir, "val")
	for _, d := range []string{trainDir, valDir} {
		if !isDir(d) {
			return nil, fmt.Errorf("data: imagenet: %s has no %s/ folder; %s", dir, filepath.Base(d), layout)
		}
	}
	n := &ImageNet{Dir: dir, Size: size, ResizeVal: int(math.Round(float64(size) * 256 / 224))}
	for c := range 3 {
		for v := range 256 {
			n.lut[c][v] = (float32(v)/255 - ImageNetMean[c]) / ImageNetStd[c]
		}
	}

	classes, _, err := listDir(trainDir)
	if err != nil {
		return nil, err
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("data: imagenet: %s has no class folders; %s", trainDir, layout)
	}
	n.WNIDs = classes
	index := make(map[string]int32, len(classes))
	for i, w := range classes {
		index[w] = int32(i)
	}
	if n.train, err = listClasses(trainDir, classes, index); err != nil {
		return nil, err
	}

	valClasses, valImages, err := listDir(valDir)
	if err != nil {
		return nil, err
	}
	switch {
	case len(valImages) == 0 && len(valClasses) > 0: // val/<wnid>/*.JPEG
		for _, w := range valClasses {
			if _, ok := index[w]; !ok {
				return nil, fmt.Errorf("data: imagenet: %s is not a class of %s", filepath.Join(valDir, w), trainDir)
			}
		}
		if n.val, err = listClasses(valDir, valClasses, index); err != nil {
			return nil, err
		}
	case len(valImages) == 0:
		return nil, fmt.Errorf("data: imagenet: %s has no JPEG files and no class folders; %s", valDir, layout)
	default:
		if n.val, n.ValLabels, err = labelVal(dir, valDir, valImages, classes); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// isImageName reports whether a file name has a JPEG extension.
func isImageName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".jpeg" || ext == ".jpg"
}

// listDir returns the sorted names of the folders and of the JPEG files in
// dir, leaving out hidden ones.
func listDir(dir string) (dirs, images []string, err error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("data: imagenet: %w", err)
	}
	for _, e := range ents { // os.ReadDir sorts by name
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."):
		case e.IsDir():
			dirs = append(dirs, name)
		case isImageName(name):
			images = append(images, name)
		}
	}
	return dirs, images, nil
}

// listClasses lists root/<class>/*.JPEG for each class, in parallel, in
// class order and then name order; a class without images is an error.
func listClasses(root string, classes []string, index map[string]int32) ([]imageFile, error) {
	lists := make([][]string, len(classes))
	errs := make([]error, len(classes))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(classes)) {
		wg.Go(func() {
			for k := int(next.Add(1) - 1); k < len(classes); k = int(next.Add(1) - 1) {
				d := filepath.Join(root, classes[k])
				_, lists[k], errs[k] = listDir(d)
				if errs[k] == nil && len(lists[k]) == 0 {
					errs[k] = fmt.Errorf("data: imagenet: class folder %s has no JPEG files", d)
				}
			}
		})
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		return nil, err
	}
	var files []imageFile
	for k, list := range lists {
		for _, name := range list {
			files = append(files, imageFile{filepath.Join(root, classes[k], name), index[classes[k]]})
		}
	}
	return files, nil
}

// labelVal finds the label file and labels each image of val/.
func labelVal(dir, valDir string, images, classes []string) ([]imageFile, string, error) {
	var path string
	var tried []string
	for _, d := range []string{dir, valDir} {
		for _, name := range ImageNetValLabelFiles {
			p := filepath.Join(d, name)
			if path == "" && isFile(p) {
				path = p
			}
			tried = append(tried, p)
		}
	}
	if path == "" {
		return nil, "", fmt.Errorf("data: imagenet: %s holds images but there is no label file (tried %s); "+
			"see ImageNetValLabelFiles for the formats, or put the images in val/<wnid>/ folders",
			valDir, strings.Join(tried, ", "))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("data: imagenet: %w", err)
	}
	defer f.Close()
	labels, err := ParseValLabels(f, path, classes)
	if err != nil {
		return nil, "", err
	}
	files := make([]imageFile, len(images))
	for i, name := range images {
		l, ok := labels[imageID(name)]
		if !ok {
			return nil, "", fmt.Errorf("data: imagenet: %s has no label in %s (looked up as %q)",
				filepath.Join(valDir, name), path, imageID(name))
		}
		files[i] = imageFile{filepath.Join(valDir, name), l}
	}
	return files, path, nil
}

// imageID is the key of an image in a label file: its name without any
// directory or extension, "ILSVRC2012_val_00000001".
func imageID(name string) string {
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	return strings.TrimSuffix(name, filepath.Ext(name))
}

// ParseValLabels reads a validation label file in either format of
// ImageNetValLabelFiles (LOC_val_solution.csv is told apart by its header)
// and returns each image's class index in wnids (sorted), keyed by image ID:
// the file name without directory and extension. name is used in errors
// only. Blank lines and lines starting with # are skipped; an unknown wnid,
// an index out of range, an image listed twice and a file with no entries
// are errors naming the line.
func ParseValLabels(r io.Reader, name string, wnids []string) (map[string]int32, error) {
	index := make(map[string]int32, len(wnids))
	for i, w := range wnids {
		index[w] = int32(i)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	labels := make(map[string]int32)
	lineOf := make(map[string]int)
	csv, first := false, true
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimSpace(sc.Text())
		if ln == 1 {
			line = strings.TrimSpace(strings.TrimPrefix(line, "\uFEFF"))
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		errorf := func(format string, args ...any) error {
			return fmt.Errorf("data: %s: line %d: %s", name, ln, fmt.Sprintf(format, args...))
		}
		if first {
			first = false
			if strings.HasPrefix(strings.ToLower(line), "imageid,") {
				csv = true
				continue
			}
		}
		var id, label string
		if csv {
			i := strings.IndexByte(line, ',')
			if i < 0 {
				return nil, errorf("%q has no comma, want ImageId,PredictionString", clip(line))
			}
			id = imageID(strings.TrimSpace(line[:i]))
			pred := strings.Fields(line[i+1:])
			if len(pred) == 0 {
				return nil, errorf("image %q has an empty PredictionString, want a wnid first", clip(id))
			}
			label = pred[0]
		} else {
			f := strings.Fields(line)
			if len(f) != 2 {
				return nil, errorf("%d fields in %q, want \"filename label\" (a wnid or a class index in sorted-wnid order)", len(f), clip(line))
			}
			id, label = imageID(f[0]), f[1]
		}
		if id == "" {
			return nil, errorf("empty image name in %q", clip(line))
		}
		var l int32
		if isDigits(label) {
			k, err := strconv.Atoi(label)
			if err != nil || k >= len(wnids) || csv {
				return nil, errorf("label %q for %q is not a wnid or a class index in [0, %d)", clip(label), clip(id), len(wnids))
			}
			l = int32(k)
		} else {
			k, ok := index[label]
			if !ok {
				return nil, errorf("unknown wnid %q for %q: not one of the %d training class folders", clip(label), clip(id), len(wnids))
			}
			l = k
		}
		if prev, ok := lineOf[id]; ok {
			return nil, errorf("image %q is listed again (first on line %d)", clip(id), prev)
		}
		labels[id], lineOf[id] = l, ln
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("data: %s: %w", name, err)
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("data: %s: no labels", name)
	}
	return labels, nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Classes is the number of classes (training class folders).
func (n *ImageNet) Classes() int { return len(n.WNIDs) }

// TrainLen and ValLen are the numbers of training and validation images.
func (n *ImageNet) TrainLen() int { return len(n.train) }
func (n *ImageNet) ValLen() int   { return len(n.val) }

// TrainBatches and ValBatches are the numbers of batches of the given size
// in an epoch, the last one short if the size does not divide the count.
func (n *ImageNet) TrainBatches(batch int) int { return ceilDiv(len(n.train), batch) }
func (n *ImageNet) ValBatches(batch int) int   { return ceilDiv(len(n.val), batch) }

func ceilDiv(a, b int) int {
	if b < 1 {
		return 0
	}
	return (a + b - 1) / b
}

// TrainBatch fills x (reshaped with tensor.Ensure to [b, 3, Size, Size])
// and labels (resliced to b, reallocated only if too short) with batch i of
// the epoch: samples [i·batch, i·batch+b) of the epoch's shuffled order,
// each augmented by its own random stream, seeded by (seed, epoch, its
// position in the epoch). It returns the first decoding error in batch
// order, naming the file; x is then only partly filled.
func (n *ImageNet) TrainBatch(seed uint64, epoch, i, batch int, x *tensor.Tensor, labels []int32) (*tensor.Tensor, []int32, error) {
	if err := n.checkBatch("TrainBatch", len(n.train), i, batch); err != nil {
		return x, labels, err
	}
	lo := i * batch
	b := min(batch, len(n.train)-lo)
	idx := make([]int32, b)
	n.mu.Lock()
	if !n.permOK || n.permSeed != seed || n.permEpoch != epoch {
		n.perm = shuffled(n.perm, len(n.train), seed, epoch)
		n.permSeed, n.permEpoch, n.permOK = seed, epoch, true
	}
	copy(idx, n.perm[lo:lo+b])
	n.mu.Unlock()
	return n.batch(x, labels, idx, func(k int) *rand.Rand {
		return rand.New(rand.NewPCG(seed^augmentSalt, mix(mix(uint64(epoch))+uint64(lo+k))))
	})
}

// ValBatch fills x and labels like TrainBatch with validation images
// [i·batch, i·batch+b), in file-name order, without augmentation.
func (n *ImageNet) ValBatch(i, batch int, x *tensor.Tensor, labels []int32) (*tensor.Tensor, []int32, error) {
	if err := n.checkBatch("ValBatch", len(n.val), i, batch); err != nil {
		return x, labels, err
	}
	lo := i * batch
	b := min(batch, len(n.val)-lo)
	idx := make([]int32, b)
	for k := range idx {
		idx[k] = int32(-(lo + k) - 1) // negative: a validation image
	}
	return n.batch(x, labels, idx, nil)
}

func (n *ImageNet) checkBatch(what string, count, i, batch int) error {
	if batch < 1 || i < 0 || i >= ceilDiv(count, batch) {
		return fmt.Errorf("data: imagenet: %s(i %d, batch %d) of %d images (%d batches)", what, i, batch, count, ceilDiv(count, batch))
	}
	return nil
}

// shuffled returns a permutation of [0, count) for (seed, epoch), drawn as
// Loader draws its order, reusing perm's storage.
func shuffled(perm []int32, count int, seed uint64, epoch int) []int32 {
	perm = slices.Grow(perm[:0], count)[:count]
	for i := range perm {
		perm[i] = int32(i)
	}
	rng := rand.New(rand.NewPCG(seed, mix(uint64(epoch))))
	for i := count - 1; i > 0; i-- {
		j := rng.IntN(i + 1)
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm
}

// batch decodes the images idx (≥ 0: training image; −j−1: validation
// image j) on Workers goroutines; rng(k), when not nil, gives sample k's
// augmentation stream.
func (n *ImageNet) batch(x *tensor.Tensor, labels []int32, idx []int32, rng func(k int) *rand.Rand) (*tensor.Tensor, []int32, error) {
	b, s := len(idx), n.Size
	x = tensor.Ensure(x, b, 3, s, s)
	if cap(labels) < b {
		labels = make([]int32, b)
	}
	labels = labels[:b]
	workers := n.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	errs := make([]error, b)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, b) {
		wg.Go(func() {
			var sc scratch
			for k := int(next.Add(1) - 1); k < b; k = int(next.Add(1) - 1) {
				dst := x.Data[k*3*s*s : (k+1)*3*s*s]
				if j := idx[k]; j >= 0 {
					f := n.train[j]
					labels[k] = f.label
					errs[k] = n.trainImage(dst, f.path, rng(k), &sc)
				} else {
					f := n.val[-j-1]
					labels[k] = f.label
					errs[k] = n.valImage(dst, f.path, &sc)
				}
			}
		})
	}
	wg.Wait()
	return x, labels, firstError(errs)
}

// firstError returns the first error, saying how many others there were.
func firstError(errs []error) error {
	var first error
	more := 0
	for _, err := range errs {
		switch {
		case err == nil:
		case first == nil:
			first = err
		default:
			more++
		}
	}
	if more > 0 {
		return fmt.Errorf("%w (and %d more errors)", first, more)
	}
	return first
}

// scratch holds one worker's pixel buffers from image to image.
type scratch struct {
	out, tmp *image.RGBA
}

func rgba(img *image.RGBA, w, h int) *image.RGBA {
	if img != nil && cap(img.Pix) >= 4*w*h {
		return &image.RGBA{Pix: img.Pix[:4*w*h], Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	}
	return image.NewRGBA(image.Rect(0, 0, w, h))
}

// trainImage writes the training transform of the image at path to dst.
func (n *ImageNet) trainImage(dst []float32, path string, rng *rand.Rand, sc *scratch) error {
	img, err := decodeImage(path)
	if err != nil {
		return err
	}
	b := img.Bounds()
	crop := randomResizedCrop(rng, b.Dx(), b.Dy()).Add(b.Min)
	flip := rng.IntN(2) == 1
	sc.out = rgba(sc.out, n.Size, n.Size)
	draw.BiLinear.Scale(sc.out, sc.out.Rect, img, crop, draw.Src, nil)
	n.normalise(dst, sc.out, flip)
	return nil
}

// valImage writes the validation transform of the image at path to dst.
func (n *ImageNet) valImage(dst []float32, path string, sc *scratch) error {
	img, err := decodeImage(path)
	if err != nil {
		return err
	}
	n.centreCrop(dst, img, sc)
	return nil
}

// centreCrop resizes img so that its shorter side is ResizeVal (the longer
// one ⌊ResizeVal·long/short⌋, as torchvision's Resize), crops the centre
// Size×Size (offsets rounded half to even, as torchvision's CenterCrop)
// and normalises it into dst.
func (n *ImageNet) centreCrop(dst []float32, img image.Image, sc *scratch) {
	b := img.Bounds()
	w, h := resizeShorter(b.Dx(), b.Dy(), max(n.ResizeVal, n.Size))
	sc.tmp = rgba(sc.tmp, w, h)
	draw.BiLinear.Scale(sc.tmp, sc.tmp.Rect, img, b, draw.Src, nil)
	top := int(math.RoundToEven(float64(h-n.Size) / 2))
	left := int(math.RoundToEven(float64(w-n.Size) / 2))
	n.normalise(dst, sc.tmp.SubImage(image.Rect(left, top, left+n.Size, top+n.Size)).(*image.RGBA), false)
}

// resizeShorter returns the size of a w×h image resized so that its shorter
// side is side.
func resizeShorter(w, h, side int) (int, int) {
	if w <= h {
		return side, max(side, int(float64(side)*float64(h)/float64(w)))
	}
	return max(side, int(float64(side)*float64(w)/float64(h))), side
}

// normalise writes the Size×Size RGB image src to dst as C×H×W values
// (v/255 − mean[c])/std[c], mirrored left-right if flip.
func (n *ImageNet) normalise(dst []float32, src *image.RGBA, flip bool) {
	s := n.Size
	for y := range s {
		row := src.Pix[y*src.Stride : y*src.Stride+4*s]
		for c := range 3 {
			out := dst[(c*s+y)*s : (c*s+y+1)*s]
			lut := &n.lut[c]
			if flip {
				for x := range out {
					out[s-1-x] = lut[row[4*x+c]]
				}
			} else {
				for x := range out {
					out[x] = lut[row[4*x+c]]
				}
			}
		}
	}
}

// randomResizedCrop draws torchvision's RandomResizedCrop rectangle of a
// w×h image (scale 0.08–1, log-uniform aspect ratio 3/4–4/3, 10 tries,
// then the centre crop with the aspect ratio clamped to that range).
func randomResizedCrop(rng *rand.Rand, w, h int) image.Rectangle {
	const minScale, maxScale = 0.08, 1.0
	const minRatio, maxRatio = 3.0 / 4, 4.0 / 3
	area := float64(w * h)
	for range 10 {
		target := area * (minScale + (maxScale-minScale)*rng.Float64())
		ratio := math.Exp(math.Log(minRatio) + (math.Log(maxRatio)-math.Log(minRatio))*rng.Float64())
		cw := int(math.RoundToEven(math.Sqrt(target * ratio)))
		ch := int(math.RoundToEven(math.Sqrt(target / ratio)))
		if 0 < cw && cw <= w && 0 < ch && ch <= h {
			y := rng.IntN(h - ch + 1)
			x := rng.IntN(w - cw + 1)
			return image.Rect(x, y, x+cw, y+ch)
		}
	}
	cw, ch := w, h
	switch r := float64(w) / float64(h); {
	case r < minRatio:
		ch = max(1, int(math.RoundToEven(float64(cw)/minRatio)))
	case r > maxRatio:
		cw = max(1, int(math.RoundToEven(float64(ch)*maxRatio)))
	}
	x, y := (w-cw)/2, (h-ch)/2
	return image.Rect(x, y, x+cw, y+ch)
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// decodeImage reads and decodes the JPEG (or PNG) file at path; errors,
// and decoder panics, name the file.
func decodeImage(path string) (img image.Image, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("data: imagenet: %w", err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("data: imagenet: %s: empty file", path)
	}
	isPNG := bytes.HasPrefix(b, pngMagic)
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("data: imagenet: %s: decoder panic: %v", path, r)
		}
	}()
	var cfg image.Config
	if isPNG {
		cfg, err = png.DecodeConfig(bytes.NewReader(b))
	} else {
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(b))
	}
	if err == nil && (cfg.Width < 1 || cfg.Height < 1 || int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels) {
		err = fmt.Errorf("%d×%d pixels, want 1 to %d", cfg.Width, cfg.Height, MaxImagePixels)
	}
	if err == nil {
		if isPNG {
			img, err = png.Decode(bytes.NewReader(b))
		} else {
			img, err = jpeg.Decode(bytes.NewReader(b))
		}
	}
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("truncated file (%d bytes): %w", len(b), err)
		}
		return nil, fmt.Errorf("data: imagenet: %s: %w", path, err)
	}
	return img, nil
}

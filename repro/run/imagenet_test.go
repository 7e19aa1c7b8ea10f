package run

import (
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/untied-ml/untied/repro/result"
)

// writeImageNet makes a tiny ILSVRC-2012 tree: two classes of three
// training JPEGs each, and two validation images with LOC_val_solution.csv.
func writeImageNet(t *testing.T) string {
	dir := t.TempDir()
	save := func(path string, c uint8) {
		img := image.NewRGBA(image.Rect(0, 0, 40, 30))
		for i := range img.Pix {
			img.Pix[i] = c + uint8(i%7)
		}
		img.Set(0, 0, color.RGBA{255, 0, 0, 255})
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := jpeg.Encode(f, img, nil); err != nil {
			t.Fatal(err)
		}
	}
	csv := "ImageId,PredictionString\n"
	for k, wnid := range []string{"n01440764", "n01443537"} {
		os.MkdirAll(filepath.Join(dir, "train", wnid), 0o755)
		for i := range 3 {
			save(filepath.Join(dir, "train", wnid, fmt.Sprintf("%s_%d.JPEG", wnid, i)), uint8(60*k+20*i))
		}
		id := fmt.Sprintf("ILSVRC2012_val_%08d", k+1)
		os.MkdirAll(filepath.Join(dir, "val"), 0o755)
		save(filepath.Join(dir, "val", id+".JPEG"), uint8(60*k))
		csv += fmt.Sprintf("%s,%s 1 2 3 4\n", id, wnid)
	}
	if err := os.WriteFile(filepath.Join(dir, "LOC_val_solution.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestImageNetRun trains one epoch on a generated ILSVRC-2012 tree through
// the runner: 224×224 inputs, the standard stem, the data set's classes.
func TestImageNetRun(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes and trains at 224×224")
	}
	cfg := result.Defaults()
	cfg.Data, cfg.DataDir, cfg.Model, cfg.Width, cfg.Rule = "imagenet", writeImageNet(t), "resnet18", 2, "sa"
	cfg.Epochs, cfg.Batch, cfg.Out = 1, 4, t.TempDir()
	res, err := Run(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Finished || res.Steps != 2 || res.Config.SmallStem {
		t.Errorf("ImageNet run: finished %v after %d steps, small stem %v; want true, 2 (6 images in batches of 4), false",
			res.Finished, res.Steps, res.Config.SmallStem)
	}
}

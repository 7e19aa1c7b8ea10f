package data_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"log"

	"github.com/untied-ml/untied/core/data"
	"github.com/untied-ml/untied/core/tensor"
)

// A training loop's view of the data: normalise with the training set's
// statistics, shuffle and augment, and take batch i of each epoch.
func ExampleLoader() {
	train := data.Synthetic(100, 1, 8, 8, 4, 1)
	mean, std := train.MeanStd()
	l, err := data.NewLoader(train, data.LoaderConfig{
		Batch: 32, Shuffle: true, Seed: 1,
		Mean: mean, Std: std, CropPad: 1, Flip: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	var x *tensor.Tensor // reused from batch to batch
	var labels []int32
	for epoch := range 2 {
		for i := range l.Batches() {
			x, labels = l.Batch(epoch, i, x, labels)
			// ... forward and backward on x and labels ...
		}
	}
	fmt.Println(l.Batches(), x.Shape, len(labels))
	// Output: 4 [4 1 8 8] 4
}

// Load reads a data set by name; an empty directory means its default
// place. (Not run here: TestMNIST and TestFashionMNIST load the real files.)
func ExampleLoad() {
	train, test, err := data.Load("fashion-mnist", "")
	if err != nil {
		log.Fatal(err) // says how to install it if it is missing
	}
	fmt.Println(train.N, test.N, train.H, train.W, train.Classes) // 60000 10000 28 28 10
}

// WriteIDX and ParseIDX round-trip; gzip is detected from the content.
func ExampleParseIDX() {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := data.WriteIDX(zw, &data.IDX{Dims: []int{2, 1, 3}, Data: []uint8{0, 128, 255, 1, 2, 3}}); err != nil {
		log.Fatal(err)
	}
	zw.Close()
	x, err := data.ParseIDX(&buf, "tiny.gz")
	fmt.Println(x.Dims, x.Data, err)

	_, err = data.ParseIDX(bytes.NewReader([]byte{0, 0, 8, 1, 0, 0, 0, 9, 1, 2}), "short")
	fmt.Println(err)
	// Output:
	// [2 1 3] [0 128 255 1 2 3] <nil>
	// data: short: header says 9 labels (9 bytes), file has 2 bytes after the 8-byte header
}

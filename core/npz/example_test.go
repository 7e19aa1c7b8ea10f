package npz_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/untied-ml/untied/core/npz"
)

// Write an archive and read it back; np.load reads the same file.
func Example() {
	dir, err := os.MkdirTemp("", "npz")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "batch.npz")
	err = npz.Write(path, map[string]npz.Array{
		"x": {Shape: []int{2, 1, 2, 2}, Data: []float32{0, 1, 2, 3, 4, 5, 6, 7}},
		"y": {Shape: []int{2}, Ints: []int64{3, 7}},
	})
	if err != nil {
		log.Fatal(err)
	}
	arrays, err := npz.Read(path)
	if err != nil {
		log.Fatal(err)
	}
	labels, err := arrays["y"].Labels()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(arrays["x"].Shape, arrays["x"].Data[5], labels)
	// Output: [2 1 2 2] 5 [3 7]
}

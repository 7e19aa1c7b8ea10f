package checkpoint_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/untied-ml/untied/core/checkpoint"
	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/optim"
)

// Save a network with its optimizer, and load both into fresh ones.
func Example() {
	dir, err := os.MkdirTemp("", "ckpt")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	build := func(seed uint64) (nn.Module, *optim.SGD) {
		net, err := model.New(model.Config{Arch: "lenet", Classes: 10, InChannels: 1, InputSize: 28, Seed: seed})
		if err != nil {
			log.Fatal(err)
		}
		opt, err := optim.NewSGD(net.Params(), optim.SGDConfig{LR: optim.Constant(0.1), Momentum: 0.9})
		if err != nil {
			log.Fatal(err)
		}
		return net, opt
	}
	net, opt := build(1)
	path := filepath.Join(dir, "ckpt.npz")
	if err := checkpoint.Save(path, net, opt); err != nil {
		log.Fatal(err)
	}
	net2, opt2 := build(2)
	if err := checkpoint.Load(path, net2, opt2); err != nil {
		log.Fatal(err)
	}
	w1, _ := nn.UntiedLayers(net)[0].Weights()
	w2, _ := nn.UntiedLayers(net2)[0].Weights()
	fmt.Println(w1.Value.Data[0] == w2.Value.Data[0], len(checkpoint.Arrays(net, opt)))
	// Output: true 31
}

package model_test

import (
	"fmt"

	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
)

// A narrow ResNet-18 for Fashion-MNIST: the small stem keeps 28×28 inputs
// from shrinking to nothing.
func Example() {
	net, err := model.New(model.Config{Arch: "resnet18", Width: 8, Classes: 10,
		InChannels: 1, InputSize: 28, SmallStem: true, Seed: 1})
	if err != nil {
		panic(err)
	}
	x := tensor.New(4, 1, 28, 28) // a batch of 4 images
	logits := net.Forward(x, true)
	fmt.Println("logits:", logits.Shape)
	fmt.Println("weights:", model.CountWeights(net))
	fmt.Println("untied layers:", len(nn.UntiedLayers(net)))
	// Output:
	// logits: [4 10]
	// weights: 176338
	// untied layers: 22
}

// The parameter count as papers report it (B excluded).
func ExampleCountWeights() {
	net, _ := model.New(model.Config{Arch: "resnet50", Classes: 1000, InChannels: 3, InputSize: 224})
	fmt.Printf("%.2fM\n", float64(model.CountWeights(net))/1e6)
	// Output: 25.56M
}

func ExampleNew_error() {
	_, err := model.New(model.Config{Arch: "resnet18", Classes: 10, InChannels: 1, InputSize: 28})
	fmt.Println(err)
	// Output: model: InputSize = 28 too small for resnet18 with the standard stem (7×7/2 conv + 3×3/2 max-pool): want ≥ 32, its total stride, or set SmallStem
}

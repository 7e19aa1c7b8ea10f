package plot_test

import (
	"fmt"
	"log"
	"os"

	"github.com/untied-ml/untied/repro/plot"
	"github.com/untied-ml/untied/repro/result"
	"github.com/untied-ml/untied/repro/table"
)

// Rows usually come from table.Collect over a sweep's result files; here
// two one-seed runs are made by hand.
func ExampleCurves() {
	var rows []table.Row
	for _, rule := range []string{"bp", "fa"} {
		r := &result.Record{Finished: true, Config: result.Config{Rule: rule, Model: "resnet18"}}
		for e := 1; e <= 3; e++ {
			angle := 0.0 // bp has no B
			if rule == "fa" {
				angle = 90 - 10*float64(e)
			}
			r.Epochs = append(r.Epochs, result.Epoch{Epoch: e, TestTop1: 50 + 10*float64(e), WeightAngle: angle})
		}
		rows = append(rows, table.Row{Key: table.Key{Rule: rule, Model: "resnet18"}, Seeds: 1, Results: []*result.Record{r}})
	}
	dir, err := os.MkdirTemp("", "figures")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := plot.Curves(dir, "table1", rows); err != nil {
		log.Fatal(err)
	}
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		fmt.Println(f.Name())
	}
	// Output:
	// table1-resnet18-accuracy.png
	// table1-resnet18-accuracy.svg
	// table1-resnet18-angle.png
	// table1-resnet18-angle.svg
}

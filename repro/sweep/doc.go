// Package sweep expands an experiment into cells (rule × model × setting ×
// seed) and runs each as an independent run in its own directory. It skips
// finished cells, never overwrites or deletes a result, runs one slice of
// the cells when a sweep is split across machines, and reports overall
// progress with an ETA.
//
// A cell whose result.json records a request (result.Record.RequestedConfig)
// that differs from the cell's configuration, because the experiment was
// edited after it ran, is stale: the sweep neither counts it as done nor
// resumes it, and reports the fields that differ so the user can move or
// delete its directory. Fields that cannot change a result (result.Significant)
// are not compared, and results from before requests were recorded are
// taken to match.
package sweep

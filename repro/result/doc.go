// Package result is the schema of a run's files and the one way they are
// written: Config (everything that determines a run, as requested and as
// derived), Record (result.json: the configuration, every epoch, the final
// metrics and the machine), and WriteJSON/WriteFile, atomic and readable by
// everyone (core/atomicfile). It trains nothing: repro/run writes records,
// repro/sweep compares requests (Significant, Differences), and
// repro/table and repro/plot render records alone, so a table can be
// rebuilt without the training code.
package result

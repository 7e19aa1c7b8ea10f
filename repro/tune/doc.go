// Package tune proposes hyperparameters for the untied tune command with
// the Tree-structured Parzen Estimator (TPE) of Bergstra, Bardenet, Bengio
// and Kégl, "Algorithms for Hyper-Parameter Optimization" (NeurIPS 2011),
// following the univariate algorithm of hyperopt's tpe.suggest. It is the
// search only: the caller runs each trial and reports its loss (lower is
// better, e.g. 100 − validation accuracy; NaN or ±Inf for a failed run).
//
// # The algorithm
//
// The first Startup trials are drawn from the prior (random search). After
// that the trials with finite losses are split into a good set, the n_good
// lowest losses, and a bad set, the rest plus every failed trial, with
// hyperopt's rule n_good = min(ceil(Gamma·sqrt(n)), 25) for n finite
// losses. Each parameter is then modelled on its own: l(x) is a density fit
// to the good trials' values and g(x) one fit to the bad trials'. For a
// LogUniform or Uniform parameter both are adaptive Parzen estimators
// (hyperopt's adaptive_parzen_normal) in the parameter's own space (log
// space for LogUniform): a Gaussian on every observation plus the prior, a
// Gaussian at the middle of the range as wide as the range, with weight 1;
// an observation's bandwidth is the larger gap to its sorted neighbours,
// clipped to [width/min(100, 1+components), width]; the mixture is
// truncated to [Low, High]; observations older than the newest 25 get
// linearly smaller weights (hyperopt's linear forgetting). For a Choice
// parameter both are categorical: option counts plus one pseudocount per
// option. Candidates draws from l(x) are scored by log l(x) − log g(x),
// which orders them as expected improvement does, and the best one is the
// parameter's value.
//
// # Defaults
//
// Startup is 10 rather than hyperopt's 20: a trial here is a training run,
// searches have some tens of trials, and 20 would spend half of a 40-trial
// budget before the model is used (10 is also Optuna's default). Candidates
// is 24 and Gamma 0.25, hyperopt's n_EI_candidates and gamma. The prior
// weight is 1, as in hyperopt.
//
// # Determinism
//
// Suggest is a pure function of (space, history, n, options): the same
// inputs give the same points bit for bit on a given platform, so a search
// that is stopped and resumed from its recorded history proposes exactly
// the points it would have proposed. Every draw comes from math/rand/v2's
// PCG, seeded from Options.Seed and the point's indices: startup point
// len(history)+k of a batch is Random's point of that offset, and TPE point
// k of a batch uses the stream (Seed, len(history), k), so the points of a
// batch run in parallel are distinct. Uniform floats and normals are made
// from the PCG's raw outputs in this package, nothing reads the global
// generator, and no map is iterated, so the results do not depend on how
// math/rand/v2 maps bits to values or on map order. Bit-identity is
// promised for one build target (GOARCH and its level, e.g. GOAMD64): a
// target on which the compiler fuses multiply-adds may round differently.
//
// # Why it is written here
//
// No Go TPE module is available from the module proxy here, and
// github.com/c-bata/goptuna, the Go port of Optuna, is refused; the
// algorithm is small, so it is written from the paper and hyperopt's
// documented design rather than ported.
package tune

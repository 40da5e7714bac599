"""torch_check: gradient-descent training of the full deep UFM, to confirm the paper's predictions.

Model (CLAIMS.md conventions): ``Z = W_L ... W_1 H`` with L+1 factors, K classes, n samples
per class, width d; loss = SUM of cross-entropies; gradient flow discretised by full-batch
gradient descent (float64 by default).

- :mod:`torch_check.trainer`: the batched trainer (B seeds/configurations of equal shapes
  as one model, ``torch.bmm`` chains; fixed steps = explicit Euler in model time, or
  adaptive steps that descend ``log ℒ`` by a fixed fraction of the parameter norm, which
  is the step normalised by the loss scale and reaches margins far beyond float64's
  ``exp``); initialisations (Hadamard of T4.2, Gaussian of T4.5, balanced factors of a
  given logit matrix); logs and ``TrainResult.save`` (npz + json); rich progress bar
  (``TrainConfig(progress=True)``; off by default); CUDA when available, else CPU
  (``TrainConfig(device=...)`` overrides).
- :mod:`torch_check.metrics`: effective rank (Eq. 60), normalised margin, KL to DNC,
  distances to the ETF and the cross-polytope, Hadamard modes, Gram-factor angles.
- :mod:`torch_check.experiments`: the cached runs behind the registry claims E-ODE, E-2,
  E-3, E-3b, E-4, E-5, E-9, E-10 (modules ``theorems/experiments/e_*.py``); the
  ``*_converged`` runners train every run to the convergence criterion.
- :mod:`torch_check.convergence`: when a run counts as converged (loss below a floor,
  positive margins, normalised margin and the measured statistics stable over the last
  ``quiet_decades`` decades of log-loss, each statistic judged only where it is a well-posed
  read-off), staged training until it is (``train_converged``); undecided otherwise.
- :mod:`torch_check.stats`: permutation tests (trend: Spearman's ρ with permuted level labels;
  two-sample difference of means), bootstrap intervals, Clopper-Pearson / Wilson intervals,
  the band rule for competing predictions.  Default α = 0.01, intervals at 95 %.
- :mod:`torch_check.sweeps`: a sweep over a parameter with its fixed-level placebo and the
  trend test (E-2, E-5, E-9); with ``value_range`` it is decided over every limit of up to two
  unconverged runs (``worst_case_verdict``), else undecided.
- :mod:`torch_check.pins`: every metric pinned to exact sympy values on known matrices, and
  the plausible wrong definitions the pins tell apart; ``require_pinned`` guards each check.
- ``python -m torch_check --scale ci|paper``: the sweeps of App. E, saved run by run.

Paper scale on a GPU::

    python -m torch_check --scale paper --out runs/paper            # CUDA picked automatically
    python -m torch_check --scale paper --only depth width --device cuda:0

Each sweep point trains all its seeds as one batched float64 model and writes
``runs/paper/<sweep>/<point>.npz`` (logits, losses, model times and every metric at
200 snapshots) with ``<point>.json`` (configuration, seeds, sweep parameters), then
prints a table of final effective ranks and normalised margins.
"""

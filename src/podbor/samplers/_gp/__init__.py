"""Bayesian optimization with a Gaussian process, in numpy and scipy.

The maths lives in modules that know nothing of studies, each testable on plain arrays:

* :mod:`~podbor.samplers._gp.kernels`: Matérn-5/2 ARD and categorical mismatch kernels;
* :mod:`~podbor.samplers._gp.model`: standardization, marginal likelihood, hyper-parameter fit,
  the posterior;
* :mod:`~podbor.samplers._gp.acquisition`: UCB, EI, log-EI and PI with input gradients;
* :mod:`~podbor.samplers._gp.optimize`: Sobol candidates, vectorized L-BFGS-B, discrete local
  search;
* :mod:`~podbor.samplers._gp.trust_region`: the trust-region rule and the search inside it.

:mod:`~podbor.samplers._gp.training` turns a study's trials into the GP's training data,
:mod:`~podbor.samplers._gp.study_model` fits the GP on it and
:mod:`~podbor.samplers._gp.proposal` proposes a point; :mod:`~podbor.samplers._gp.sampler`
(:class:`GPSampler`) and :mod:`~podbor.samplers._gp.branches` (one GP per branch of a
conditional space) build on them.
"""

from __future__ import annotations

from podbor.samplers._gp.sampler import GPSampler

__all__ = ["GPSampler"]

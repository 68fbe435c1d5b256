"""Bayesian optimization with a Gaussian process, in numpy and scipy.

The maths lives in modules that know nothing of studies, each testable on plain arrays:

* :mod:`~podbor.samplers._gp.kernels`: Matérn-5/2 ARD and categorical mismatch kernels;
* :mod:`~podbor.samplers._gp.model`: standardization, marginal likelihood, hyper-parameter fit,
  the posterior;
* :mod:`~podbor.samplers._gp.acquisition`: UCB, EI, log-EI and PI with input gradients;
* :mod:`~podbor.samplers._gp.optimize`: Sobol candidates, vectorized L-BFGS-B, discrete local
  search;

and :mod:`~podbor.samplers._gp.sampler` adapts them to trials (:class:`GPSampler`).
"""

from podbor.samplers._gp.sampler import GPSampler

__all__ = ["GPSampler"]

"""Crossovers: how a genetic sampler makes one child from the parameters of a few parents.

Every crossover works on numerical parameters in the *transformed* space of the shared encoding
(:func:`podbor._search_space.transformed_bounds`: logarithms on a log scale, integer and step
ranges widened by half a step), where the bounds are ``search_space_bounds``. Categorical
parameters are never handed to a crossover: the sampler mixes them with a uniform crossover.

Shapes: ``parents_params`` is ``(n_parents x n_params)``, ``search_space_bounds`` is
``(n_params x 2)`` (low, high) and the child is ``(n_params,)``. The random state is a
``numpy.random.RandomState`` (as in Optuna, so that user crossovers written for it keep working);
the built-in ones draw only through ``rng.rand(n)`` and ``rng.normal(loc, scale, size=...)``.

Example:
    >>> import numpy as np
    >>> parents = np.array([[0.0, 1.0], [2.0, 3.0]])
    >>> bounds = np.array([[0.0, 4.0], [0.0, 4.0]])
    >>> child = BLXAlphaCrossover().crossover(parents, np.random.RandomState(0), None, bounds)
    >>> child.shape
    (2,)
"""

from __future__ import annotations

import abc
import math
from typing import Any

import numpy as np

from podbor._validation import check_optional_real, check_real

__all__ = [
    "BLXAlphaCrossover",
    "BaseCrossover",
    "SBXCrossover",
    "SPXCrossover",
    "UNDXCrossover",
    "UniformCrossover",
    "VSBXCrossover",
]

_TINY = 1e-12


class BaseCrossover(abc.ABC):
    """Base class of crossovers: ``n_parents`` parents in, one child out.

    Concrete crossovers accept numerical parameters only (see the module docstring); the
    sampler itself mixes categorical parameters uniformly.

    Example:
        >>> class First(BaseCrossover):
        ...     n_parents = 2
        ...     def crossover(self, parents_params, rng, study, search_space_bounds):
        ...         return parents_params[0].copy()
        >>> str(First())
        'First'
        >>> UNDXCrossover(sigma_xi=0.3)
        UNDXCrossover(sigma_xi=0.3, sigma_eta=None)
    """

    def __str__(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        """The class and the arguments it was made with (kept as ``_<name>`` attributes)."""
        import inspect

        names = [n for n in inspect.signature(type(self).__init__).parameters if n != "self"]
        shown = [f"{n}={getattr(self, '_' + n)!r}" for n in names if hasattr(self, "_" + n)]
        return f"{type(self).__name__}({', '.join(shown)})"

    @property
    @abc.abstractmethod
    def n_parents(self) -> int:
        """How many parents one crossover needs."""

    @abc.abstractmethod
    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Any,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        """Make one child.

        Args:
            parents_params: ``(n_parents x n_params)`` parent values, transformed space.
            rng: The sampler's ``numpy.random.RandomState``.
            study: The study (a ``StudyView``).
            search_space_bounds: ``(n_params x 2)`` low and high of each parameter.

        Returns:
            ``(n_params,)`` child values in the transformed space.
        """


class UniformCrossover(BaseCrossover):
    """Each parameter from one of two parents: the first with probability ``swapping_prob``.

    Args:
        swapping_prob: Probability of taking a parameter from the first parent, in ``[0, 1]``.

    Example:
        >>> UniformCrossover(swapping_prob=1.0).crossover(
        ...     np.array([[1.0, 2.0], [3.0, 4.0]]), np.random.RandomState(0), None, None
        ... ).tolist()
        [1.0, 2.0]
    """

    n_parents = 2

    def __init__(self, swapping_prob: float = 0.5) -> None:
        self._swapping_prob = check_real(
            swapping_prob, "swapping_prob", owner="UniformCrossover", minimum=0.0, maximum=1.0
        )

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Any,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        first = np.asarray(rng.rand(parents_params.shape[1])) < self._swapping_prob
        return np.asarray(np.where(first, parents_params[0], parents_params[1]))


class BLXAlphaCrossover(BaseCrossover):
    """Blend crossover (BLX-α): each parameter uniform on the parents' interval widened by α
    times its length on both sides (Eshelman & Schaffer, FOGA 2, 1993).

    Args:
        alpha: The widening factor (>= 0).

    Example:
        >>> BLXAlphaCrossover(alpha=0.0).crossover(
        ...     np.array([[1.0], [1.0]]), np.random.RandomState(0), None, None
        ... ).tolist()
        [1.0]
    """

    n_parents = 2

    def __init__(self, alpha: float = 0.5) -> None:
        self._alpha = check_real(
            alpha, "alpha", owner="BLXAlphaCrossover", minimum=0.0, finite=True
        )

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Any,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        low, high = parents_params.min(axis=0), parents_params.max(axis=0)
        width = self._alpha * (high - low)
        low, high = low - width, high + width
        return np.asarray(low + np.asarray(rng.rand(parents_params.shape[1])) * (high - low))


class SPXCrossover(BaseCrossover):
    """Simplex crossover: a uniform point of the parents' simplex grown by ``epsilon`` around
    its centre (Tsutsui, Yamamura & Higuchi, GECCO 1999).

    Args:
        epsilon: The growth factor; ``None`` for ``sqrt(n_parents + 1)``, which keeps the
            parents' covariance.

    Example:
        >>> SPXCrossover().crossover(
        ...     np.array([[1.0], [1.0], [1.0]]), np.random.RandomState(0), None, None
        ... ).tolist()
        [1.0]
    """

    n_parents = 3

    def __init__(self, epsilon: float | None = None) -> None:
        self._epsilon = check_optional_real(
            epsilon, "epsilon", owner="SPXCrossover", minimum=0.0, finite=True
        )

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Any,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        n = self.n_parents - 1
        epsilon = math.sqrt(n + 2) if self._epsilon is None else self._epsilon
        centre = parents_params.mean(axis=0)
        vertices = centre + epsilon * (parents_params - centre)  # x_k of the paper, (n+1 x d)
        offset = np.zeros_like(centre)  # C_k, eq. (3): C_k = r_{k-1} (x_{k-1} - x_k + C_{k-1})
        for k in range(1, n + 1):
            r = float(rng.rand()) ** (1.0 / k)
            offset = r * (vertices[k - 1] - vertices[k] + offset)
        return np.asarray(vertices[n] + offset)


class SBXCrossover(BaseCrossover):
    """Simulated binary crossover with bounds (Deb & Agrawal, Complex Systems 9, 1995).

    Two children are spread around the parents by a polynomial distribution of index ``eta``
    that stays inside the bounds; one of them is kept (the second with probability
    ``uniform_crossover_prob``), and each of its parameters replaces the second parent's with
    probability ``use_child_gene_prob``.

    Args:
        eta: Distribution index (>= 0): small values spread the children far. ``None`` for 2
            on one objective and 20 on several.
        uniform_crossover_prob: Probability of keeping the second child, in ``[0, 1]``.
        use_child_gene_prob: Probability that a parameter comes from the child rather than the
            parent, in ``(0, 1]``.

    Example:
        >>> SBXCrossover(eta=2.0).crossover(
        ...     np.array([[1.0], [1.0]]), np.random.RandomState(0), None, np.array([[0.0, 2.0]])
        ... ).tolist()
        [1.0]
    """

    n_parents = 2
    _OWNER = "SBXCrossover"

    def __init__(
        self,
        eta: float | None = None,
        uniform_crossover_prob: float = 0.5,
        use_child_gene_prob: float = 0.5,
    ) -> None:
        owner = self._OWNER
        self._eta = check_optional_real(eta, "eta", owner=owner, minimum=0.0, finite=True)
        self._uniform_crossover_prob = check_real(
            uniform_crossover_prob, "uniform_crossover_prob", owner=owner, minimum=0.0, maximum=1.0
        )
        self._use_child_gene_prob = check_real(
            use_child_gene_prob,
            "use_child_gene_prob",
            owner=owner,
            minimum=0.0,
            maximum=1.0,
            include_minimum=False,
        )

    def _eta_for(self, study: Any) -> float:
        if self._eta is not None:
            return self._eta
        return 2.0 if study is None or len(study.directions) == 1 else 20.0

    def _children(
        self, parents: np.ndarray, rng: np.random.RandomState, eta: float, bounds: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        y1, y2 = parents.min(axis=0), parents.max(axis=0)
        spread = np.maximum(y2 - y1, _TINY)
        u = np.asarray(rng.rand(parents.shape[1]), dtype=float)
        exponent = 1.0 / (eta + 1.0)

        def beta_q(beta: np.ndarray) -> np.ndarray:  # eq. of the bounded SBX (Deb's NSGA-II code)
            alpha = 2.0 - np.power(beta, -(eta + 1.0))
            with np.errstate(divide="ignore", invalid="ignore"):
                inner = np.where(
                    u <= 1.0 / alpha, u * alpha, 1.0 / np.maximum(2.0 - u * alpha, _TINY)
                )
            return np.asarray(np.power(np.maximum(inner, 0.0), exponent))

        beta_low = 1.0 + 2.0 * (y1 - bounds[:, 0]) / spread
        beta_high = 1.0 + 2.0 * (bounds[:, 1] - y2) / spread
        c1 = 0.5 * (y1 + y2 - beta_q(beta_low) * (y2 - y1))
        c2 = 0.5 * (y1 + y2 + beta_q(beta_high) * (y2 - y1))
        return c1, c2

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Any,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        bounds = np.asarray(search_space_bounds, dtype=float)
        c1, c2 = self._children(parents_params, rng, self._eta_for(study), bounds)
        n = parents_params.shape[1]
        use_child = np.asarray(rng.rand(n)) < self._use_child_gene_prob
        second = np.asarray(rng.rand(n)) < self._uniform_crossover_prob
        child = np.where(second, c2, c1)
        return np.clip(np.where(use_child, child, parents_params[1]), bounds[:, 0], bounds[:, 1])


class VSBXCrossover(SBXCrossover):
    """SBX without the bounds in the spread (the children may leave the range, the sampler
    then draws again): Deb & Agrawal's unbounded form, with the same child selection as
    :class:`SBXCrossover`.

    Args:
        eta: Distribution index (>= 0); ``None`` for 2 on one objective and 20 on several.
        uniform_crossover_prob: Probability of keeping the second child, in ``[0, 1]``.
        use_child_gene_prob: Probability that a parameter comes from the child, in ``(0, 1]``.

    Example:
        >>> VSBXCrossover(eta=2.0).crossover(
        ...     np.array([[1.0], [1.0]]), np.random.RandomState(0), None, np.array([[0.0, 2.0]])
        ... ).tolist()
        [1.0]
    """

    _OWNER = "VSBXCrossover"

    def _children(
        self, parents: np.ndarray, rng: np.random.RandomState, eta: float, bounds: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        y1, y2 = parents[0], parents[1]
        u = np.asarray(rng.rand(parents.shape[1]), dtype=float)
        exponent = 1.0 / (eta + 1.0)
        with np.errstate(divide="ignore"):
            beta = np.where(
                u <= 0.5,
                np.power(2.0 * u, exponent),
                np.power(1.0 / np.maximum(2.0 * (1.0 - u), _TINY), exponent),
            )
        c1 = 0.5 * ((1.0 + beta) * y1 + (1.0 - beta) * y2)
        c2 = 0.5 * ((1.0 - beta) * y1 + (1.0 + beta) * y2)
        return c1, c2

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Any,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        c1, c2 = self._children(parents_params, rng, self._eta_for(study), search_space_bounds)
        n = parents_params.shape[1]
        use_child = np.asarray(rng.rand(n)) < self._use_child_gene_prob
        second = np.asarray(rng.rand(n)) < self._uniform_crossover_prob
        return np.where(use_child, np.where(second, c2, c1), parents_params[1])


class UNDXCrossover(BaseCrossover):
    """Unimodal normal distribution crossover (Ono & Kobayashi, ICGA 1997).

    The child is normal around the midpoint of the first two parents: along the line between
    them with deviation ``sigma_xi`` times their distance, and across it with deviation
    ``sigma_eta`` times the third parent's distance from that line.

    Args:
        sigma_xi: Deviation along the line (> 0).
        sigma_eta: Deviation across it (> 0); ``None`` for ``0.35 / sqrt(n_params)``.

    Example:
        >>> UNDXCrossover().crossover(
        ...     np.array([[1.0], [1.0], [1.0]]), np.random.RandomState(0), None, None
        ... ).tolist()
        [1.0]
    """

    n_parents = 3

    def __init__(self, sigma_xi: float = 0.5, sigma_eta: float | None = None) -> None:
        owner = "UNDXCrossover"
        self._sigma_xi = check_real(sigma_xi, "sigma_xi", owner=owner, minimum=0.0, finite=True)
        self._sigma_eta = check_optional_real(
            sigma_eta, "sigma_eta", owner=owner, minimum=0.0, finite=True
        )

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Any,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        x1, x2, x3 = parents_params[0], parents_params[1], parents_params[2]
        n = parents_params.shape[1]
        midpoint = 0.5 * (x1 + x2)
        line = x1 - x2
        length = float(np.linalg.norm(line))
        direction = line / length if length > _TINY else np.zeros(n)
        to_third = x3 - x1
        distance = float(np.linalg.norm(to_third - (to_third @ direction) * direction))
        xi = float(rng.normal(0.0, self._sigma_xi))
        child = midpoint + xi * line
        if n > 1:
            sigma_eta = 0.35 / math.sqrt(n) if self._sigma_eta is None else self._sigma_eta
            eta = np.asarray(rng.normal(0.0, sigma_eta, size=n - 1), dtype=float)
            child = child + distance * (eta @ _orthogonal_basis(direction))
        return np.asarray(child)


def _orthogonal_basis(direction: np.ndarray) -> np.ndarray:
    """``(d-1 x d)`` orthonormal rows spanning the complement of a unit (or zero) vector."""
    n = direction.shape[0]
    if not np.any(direction):
        return np.eye(n)[1:]
    _, _, vt = np.linalg.svd(direction.reshape(1, n))
    return np.asarray(vt[1:])

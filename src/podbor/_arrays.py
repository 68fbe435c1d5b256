"""The numpy array types of podbor's maths (samplers, importances, plot data), named once.

Shapes are stated where the arrays are used (``n x d``, ``b``, …), not in the type.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["BoolArray", "FloatArray", "IntArray"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

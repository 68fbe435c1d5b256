"""Conversions between Python values and database columns (floats with ±inf/NaN, JSON text)."""

from __future__ import annotations

import json
import math
from typing import Any

from podbor.exceptions import InvalidArgumentError
from podbor.storages._rdb.models import FloatType

__all__ = ["decode_float", "decode_json", "encode_float", "encode_json"]


def encode_float(value: float) -> tuple[float | None, int]:
    """Split a float into a storable ``(value, FloatType)`` pair."""
    if math.isnan(value):
        return None, FloatType.NAN
    if math.isinf(value):
        return None, FloatType.INF_POS if value > 0 else FloatType.INF_NEG
    return value, FloatType.FINITE


def decode_float(value: float | None, value_type: int) -> float:
    """Inverse of :func:`encode_float`."""
    if value_type == FloatType.FINITE:
        assert value is not None
        return float(value)
    if value_type == FloatType.INF_POS:
        return math.inf
    if value_type == FloatType.INF_NEG:
        return -math.inf
    return math.nan


def encode_json(value: Any, what: str) -> str:
    """Serialize an attribute value; the error names the attribute when it is not JSON."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as err:
        raise InvalidArgumentError(
            f"The value of {what} must be JSON-serializable (None, bool, int, float, str, list, "
            f"dict). Got {value!r} of type {type(value).__name__} instead."
        ) from err


def decode_json(text: str) -> Any:
    """Inverse of :func:`encode_json`."""
    return json.loads(text)

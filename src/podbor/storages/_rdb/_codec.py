"""Conversions between Python values and database columns (floats with ±inf/NaN, JSON text)."""

from __future__ import annotations

import json
import math
from typing import Any

from podbor.storages._rdb.models import FloatType

__all__ = ["decode_float", "decode_json", "encode_float"]


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


def decode_json(text: str) -> Any:
    """An attribute value from the JSON text :func:`~podbor.storages._input_rules.attr_to_json` wrote."""
    return json.loads(text)

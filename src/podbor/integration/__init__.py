"""Integrations with training frameworks. Each submodule imports its framework lazily.

* :mod:`podbor.integration.torch` — PyTorch: device selection and per-epoch pruning.
"""

"""Deterministic synthetic data for the landing folder: same arguments and seed, same bytes."""

from .core import GENERATOR_VERSION, generate

__all__ = ["GENERATOR_VERSION", "generate"]

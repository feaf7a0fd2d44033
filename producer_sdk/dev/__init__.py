"""Helpers for trying the SDK out: `ln.dev.datasets`."""

from producer_sdk.dev import datasets

__all__ = ["datasets"]

"""Meent: a federated discussion node for public organisations."""

__version__ = "0.1.0"

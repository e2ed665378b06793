"""Nigran: keeps watch over the implementation of Pakistan's national-security policy frameworks."""

__version__ = "0.1.0"

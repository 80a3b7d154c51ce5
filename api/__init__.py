"""The HTTP API: the network and its questions for street offices' systems, with scoped tokens."""

from .main import create_app

__all__ = ["create_app"]

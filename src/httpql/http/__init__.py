"""The HTTP layer: the only package that imports httpx."""

from .client import HttpClient, Response
from .retry import RetryPolicy
from .secret import Secret

__all__ = ["HttpClient", "Response", "RetryPolicy", "Secret"]

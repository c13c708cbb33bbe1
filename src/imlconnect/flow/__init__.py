"""The verification flow: a sans-I/O core and thin sync and async drivers."""

from .core import Outcome, RunInput, verification_flow
from .drivers import run_async, run_sync

__all__ = ["Outcome", "RunInput", "run_async", "run_sync", "verification_flow"]

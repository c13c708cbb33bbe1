"""Drivers that run the sans-I/O verification flow over a real transport.

These are the only functions of the flow package that perform I/O. Both drivers feed the same
generator, so sync and async runs behave the same way.
"""

from __future__ import annotations

from typing import Any

from ..errors import TransportError
from .core import Outcome, RunInput, verification_flow


def run_sync(run: RunInput, transport: Any) -> Outcome:
    """Run a verification with a transport that has a blocking `send(request)`."""
    flow = verification_flow(run)
    try:
        request = next(flow)
        while True:
            try:
                reply: Any = transport.send(request)
            except TransportError as error:
                reply = error
            request = flow.send(reply)
    except StopIteration as done:
        return done.value


async def run_async(run: RunInput, transport: Any) -> Outcome:
    """Run a verification with a transport that has an awaitable `send(request)`."""
    flow = verification_flow(run)
    try:
        request = next(flow)
        while True:
            try:
                reply: Any = await transport.send(request)
            except TransportError as error:
                reply = error
            request = flow.send(reply)
    except StopIteration as done:
        return done.value

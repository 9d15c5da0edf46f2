"""A lean ASGI response for server-sent events.

Litestar's `Stream` opens an anyio task group per response to watch for client disconnects; on the
streaming hot path that costs more than the proxying itself. Here one `receive()` future is checked
between writes instead, and the iterator is always closed, so the upstream connection is released as
soon as the client goes away.

Graceful shutdown: the server waits for open streams up to its drain deadline, then cancels them. A
cancelled stream still sends its `shutdown_frame` (the terminal error event in the endpoint's own
shape) and ends the body cleanly, so the client sees why the stream stopped instead of a cut.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.response.streaming import ASGIStreamingResponse
from litestar.types import Receive, Send

__all__ = ["SseResponse"]


class SseResponse(ASGIStreamingResponse):
    """Streams `bytes` frames; stops early (and closes the iterator) when the client disconnects."""

    def __init__(self, *, shutdown_frame: bytes | None = None, **kwargs: Any) -> None:  # Any: litestar's
        super().__init__(**kwargs)
        self.shutdown_frame = shutdown_frame
        """Sent when the stream is cancelled (the server's drain deadline passed), then the body ends."""

    async def send_body(self, send: Send, receive: Receive) -> None:
        """Send each frame as it comes, then the end of the body."""
        listener: asyncio.Future[Any] = asyncio.ensure_future(receive())
        iterator = self.iterator
        try:
            async for chunk in iterator:
                if listener.done():
                    return  # the client disconnected: stop reading the upstream
                body = chunk if isinstance(chunk, bytes) else str(chunk).encode()
                await send({"type": "http.response.body", "body": body, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if self.shutdown_frame is not None and not listener.done():
                await send({"type": "http.response.body", "body": self.shutdown_frame, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            raise
        finally:
            listener.cancel()
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()

"""A local OTLP/HTTP endpoint that accepts every export and discards it, for overhead runs.

    python bench/otlp_sink.py --port 4318

Answers `POST /v1/traces` (any path) with `200` and an empty `ExportTraceServiceResponse` as soon as
the body has arrived, so the gateway's exporter does its real work (batching, protobuf encoding, one
HTTP POST per batch) without retries or a slow collector in the measurement. Prints the number of
exports and bytes received on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

RESPONSE = b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n"


class Sink(asyncio.Protocol):
    """One connection: reads requests (headers, then `content-length` bytes) and answers 200."""

    exports = 0
    received = 0

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to answer on."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        """Answer each complete request; drop its body."""
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            length = 0
            for line in self.buffer[:head_end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            end = head_end + 4 + length
            if len(self.buffer) < end:
                return
            self.buffer = self.buffer[end:]
            Sink.exports += 1
            Sink.received += length
            if self.transport is not None:
                self.transport.write(RESPONSE)


async def serve(port: int) -> None:
    """Serve until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = await loop.create_server(Sink, "127.0.0.1", port)
    async with server:
        await stop.wait()
    print(f"otlp sink: {Sink.exports} exports, {Sink.received} bytes", flush=True)


def main() -> None:
    """Parse the port and serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=4318)
    asyncio.run(serve(parser.parse_args().port))


if __name__ == "__main__":
    main()

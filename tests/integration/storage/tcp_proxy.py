"""A loopback TCP proxy that a test can stop (refusing and cutting connections) and start again.

Standing between a client and PostgreSQL it makes the database unreachable without touching the
shared cluster other tests use: `stop()` refuses (a stopped server), `blackhole()` accepts and then
swallows every byte (a network partition: nothing fails, everything hangs).
"""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.services import free_port, wait_port

__all__ = ["TcpProxy"]


class TcpProxy:
    """Forwards 127.0.0.1:`port` to 127.0.0.1:`target_port` while running."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._blackholed = threading.Event()
        self._acceptor: threading.Thread | None = None

    def start(self) -> None:
        """Listen on the same port again."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener = listener
        self._running.set()
        self._acceptor = threading.Thread(target=self._accept_loop, args=(listener,), daemon=True)
        self._acceptor.start()
        wait_port(self.port)

    def blackhole(self) -> None:
        """Keep accepting, but drop every byte in both directions from now on."""
        self._blackholed.set()

    def heal(self) -> None:
        """End a blackhole; connections that lost bytes are reset, new ones work."""
        self._blackholed.clear()
        self._cut_all()

    def stop(self) -> None:
        """Stop listening and cut every open connection, as a dead database host would."""
        self._running.clear()
        if self._acceptor is not None:
            self._acceptor.join(timeout=5)
            self._acceptor = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        self._cut_all()

    def _cut_all(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept_loop(self, listener: socket.socket) -> None:
        while self._running.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._blackholed.is_set():
                with self._lock:
                    self._sockets.add(client)
                threading.Thread(target=self._pump, args=(client, None), daemon=True).start()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._sockets |= {client, upstream}
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket | None) -> None:
        try:
            while data := src.recv(65536):
                if dst is not None and not self._blackholed.is_set():
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

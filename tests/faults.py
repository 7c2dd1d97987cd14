"""A TCP proxy that forwards to a real server, or holds every connection without a word.

It plays the failures no timeout in a library's defaults catches: a database, an S3
endpoint or a cache that accepts the connection, acknowledges every byte (the kernel does
that) and never answers -- a server stuck in a fork, a half-dead middlebox, a peer whose
packets stop after the handshake. hold() applies to the connections already open as much
as to new ones, so a pooled connection goes silent mid-life, as it does in production.
"""

import contextlib
import select
import socket
import threading

FORWARD, HOLD = "forward", "hold"


class FaultProxy:
    """Listens on 127.0.0.1:<port> and forwards to target, or holds (see hold())."""

    def __init__(self, target: tuple[str, int] | None = None, *, mode: str = FORWARD) -> None:
        if target is None and mode == FORWARD:
            raise ValueError("a proxy without a target can only hold")
        self.target = target
        self.mode = mode
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._start(self._accept)

    def hold(self) -> None:
        """From now on nothing passes either way, on open connections and new ones alike."""
        self.mode = HOLD

    def forward(self) -> None:
        """Pass bytes on again (new connections reach the target; held ones stay silent)."""
        self.mode = FORWARD

    def url(self, scheme: str, path: str = "", userinfo: str = "") -> str:
        """scheme://[userinfo@]127.0.0.1:<port><path>: the proxy in place of the server."""
        at = f"{userinfo}@" if userinfo else ""
        return f"{scheme}://{at}127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        """Stop accepting, drop every connection, and wait for the threads to end."""
        self._closed.set()
        for thread in self._threads:
            thread.join(timeout=5)
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()
        self._listener.close()

    def __enter__(self) -> "FaultProxy":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _keep(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.append(sock)
        return sock

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client = self._keep(self._listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = None
            if self.mode == FORWARD:
                try:
                    upstream = self._keep(socket.create_connection(self.target, timeout=5))
                except OSError:
                    client.close()
                    continue
            self._start(self._pump, client, upstream)

    def _pump(self, client: socket.socket, upstream: socket.socket | None) -> None:
        # One thread per connection, both directions: what arrives is read (so the sender
        # never blocks on a full window) and passed on only while forwarding.
        peers = {client: upstream, upstream: client} if upstream else {client: None}
        while not self._closed.is_set():
            try:
                readable, _, _ = select.select(list(peers), [], [], 0.1)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return self._end(peers)
                    if self.mode == FORWARD and peers[sock] is not None:
                        peers[sock].sendall(data)
            except OSError:
                return self._end(peers)
        return None

    def _end(self, peers: dict) -> None:
        for sock in peers:
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()


def closed_port() -> int:
    """A loopback port nothing listens on (connecting is refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_cache(url: str, timeout: float = 0.3) -> dict:
    """CACHES as settings.py makes it for CACHE_URL=url (a short socket timeout for tests)."""
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        }
    }

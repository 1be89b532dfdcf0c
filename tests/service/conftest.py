"""Faults made for real: a database that goes away and comes back.

``outage`` gives a runtime (and app) whose database can be cut and restored while it runs:
- PostgreSQL: the runtime connects through a TCP proxy; cutting it resets every open connection
  and refuses new ones, as a server restart or a network partition would.
- SQLite: the database file sits behind a directory link; cutting it points the link nowhere
  and drops the pooled connections, as an unmounted volume would for every new connection.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from service.runtime import Runtime, build_runtime


class TcpProxy:
    """Forwards 127.0.0.1:<port> to an upstream address until cut; restores on demand."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._up = threading.Event()
        self._up.set()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closing = False
        threading.Thread(target=self._accept, name="tcp-proxy", daemon=True).start()

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._up.is_set():
                _reset(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _reset(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._open.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass  # the other end went away (or the proxy was cut): close both
        finally:
            for end in (source, sink):
                self._drop(end)

    def _drop(self, end: socket.socket) -> None:
        with self._lock:
            self._open.discard(end)
        _reset(end)

    def cut(self) -> None:
        """Every open connection is reset; new ones are refused until ``restore``."""
        self._up.clear()
        with self._lock:
            ends = list(self._open)
        for end in ends:
            self._drop(end)

    def restore(self) -> None:
        self._up.set()

    def close(self) -> None:
        self._closing = True
        self.cut()
        self._listener.close()


def _reset(end: socket.socket) -> None:
    with contextlib.suppress(OSError):
        end.shutdown(socket.SHUT_RDWR)
    end.close()


@dataclass
class Outage:
    """A runtime on a database that ``cut()`` takes away and ``restore()`` gives back."""

    runtime: Runtime
    cut_: Any
    restore_: Any
    closers: list[Any] = field(default_factory=list)

    def cut(self) -> None:
        self.cut_()

    def restore(self) -> None:
        self.restore_()

    def app(self) -> Any:
        from service.app import create_app

        flask_app = create_app(runtime=self.runtime)
        flask_app.config.update(TESTING=True)
        return flask_app


@pytest.fixture
def outage(runtime: Runtime, config: Any, clock: Any, database_url: str, tmp_path: Path) -> Iterator[Outage]:
    """A second runtime on the test's database (the ``runtime`` fixture emptied it), reached
    through something a test can cut."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        fragile = build_runtime(config, clock, database_url=proxied)
        made = Outage(fragile, proxy.cut, proxy.restore, [proxy.close])
    else:
        real_dir = Path(url.database or "").parent
        link = tmp_path / "volume"
        link.symlink_to(real_dir, target_is_directory=True)
        linked = f"sqlite:///{link / Path(url.database or '').name}"
        fragile = build_runtime(config, clock, database_url=linked)

        def cut() -> None:
            link.unlink()
            link.symlink_to(tmp_path / "unmounted", target_is_directory=True)
            fragile.db.dispose()

        def restore() -> None:
            link.unlink()
            link.symlink_to(real_dir, target_is_directory=True)

        made = Outage(fragile, cut, restore)
    yield made
    made.restore()
    fragile.dispose()
    for close in made.closers:
        close()

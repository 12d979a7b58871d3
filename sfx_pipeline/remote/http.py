"""A small HTTP client over the standard library: timeouts, retries with backoff, no hang.

The standard library's `http.client` keeps laptops free of extra packages and the CLI's
start fast. Retried: a lost or refused connection and `503`/`429` (the server is loading,
busy, or restarting), with exponential backoff and jitter, honouring `Retry-After`
(RFC 9110 section 10.2.3). Not retried: a read timeout (the server accepted the work and
went quiet; asking again would only double the wait) and every other status, which the
caller turns into a message. `abort()` closes every open socket, so threads blocked in a
read return at once when a build is interrupted.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

RETRY_STATUS = (429, 503)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def error(self) -> str:
        """The server's JSON error and fix, or the start of whatever it sent."""
        doc = self.json()
        if isinstance(doc, dict) and "error" in doc:
            fix = f" (fix: {doc['fix']})" if doc.get("fix") else ""
            return f"{doc['error']}{fix}"
        return self.body[:200].decode("utf-8", "replace").strip() or "no details"


class Unreachable(Exception):
    """No answer: refused, reset, timed out or unresolvable, after the retries allowed."""


@dataclass(frozen=True)
class Retry:
    attempts: int = 5  # 1 try + 4 retries: about 7 s of backoff in all
    backoff: float = 0.5  # seconds before the first retry, doubled each time
    ceiling: float = 8.0  # the longest single wait, whatever Retry-After says


DEFAULT_RETRY = Retry()


class Client:
    def __init__(self, base_url: str, token: str | None, timeout: float, connect_timeout: float = 5.0,
                 retry: Retry = DEFAULT_RETRY, sleep: Callable[[float], None] = time.sleep) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{base_url!r} is not an http:// or https:// URL")
        self.base_url = base_url.rstrip("/")
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.prefix = parts.path.rstrip("/")
        self.token = token
        self.timeout, self.connect_timeout, self.retry = timeout, connect_timeout, retry
        self._sleep = sleep
        self._open: set[http.client.HTTPConnection] = set()
        self._guard = threading.Lock()
        self._aborted = False

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                retry: bool = True) -> Response:
        """Raises Unreachable when no answer came; any answer, even 500, is returned."""
        attempts = self.retry.attempts if retry else 1
        wait, last = self.retry.backoff, "no attempt made"
        for attempt in range(attempts):
            if self._aborted:
                raise Unreachable("interrupted")
            try:
                response = self._once(method, path, body, headers or {})
            except TimeoutError:  # connect or read: either way, waiting longer is the hang to avoid
                raise Unreachable(f"timed out (connect {self.connect_timeout:g} s, "
                                  f"answer {self.timeout:g} s)") from None
            except (OSError, http.client.HTTPException) as exc:
                last = _describe(exc)
                if not _retryable(exc) or attempt == attempts - 1:
                    raise Unreachable(last) from None
            else:
                if response.status not in RETRY_STATUS or attempt == attempts - 1:
                    return response
                wait = max(wait, _retry_after(response))
            self._sleep(min(self.retry.ceiling, wait) * random.uniform(0.8, 1.2))
            wait *= 2
        raise Unreachable(last)

    def abort(self) -> None:
        """Make every request in flight, in any thread, fail now."""
        self._aborted = True
        with self._guard:
            connections = list(self._open)
        for connection in connections:
            sock = connection.sock
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv; close() alone may not
                except OSError:
                    pass
            connection.close()

    def _once(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Response:
        connection = self._connect()
        with self._guard:
            self._open.add(connection)
        try:
            sent = {"User-Agent": "sfx-pipeline", **headers}
            if self.token:
                sent["Authorization"] = f"Bearer {self.token}"
            connection.request(method, self.prefix + path, body=body, headers=sent)
            connection.sock.settimeout(self.timeout)  # connected: now the (longer) wait for the answer
            answer = connection.getresponse()
            data = answer.read()
            return Response(answer.status, data, {k.lower(): v for k, v in answer.getheaders()})
        finally:
            with self._guard:
                self._open.discard(connection)
            connection.close()

    def _connect(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.connect_timeout,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(self.host, self.port, timeout=self.connect_timeout)


def _retryable(exc: BaseException) -> bool:
    """Lost or refused connections may heal (a restart); a bad name or certificate will not."""
    if isinstance(exc, (ssl.SSLCertVerificationError, socket.gaierror)):
        return False
    return isinstance(exc, (ConnectionError, http.client.RemoteDisconnected, http.client.IncompleteRead,
                            http.client.BadStatusLine, OSError))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc})"
    if isinstance(exc, (ConnectionResetError, http.client.RemoteDisconnected, http.client.IncompleteRead)):
        return "the connection was lost before the answer was complete"
    return f"{type(exc).__name__}: {exc}"


def _retry_after(response: Response) -> float:
    try:
        return float(response.headers.get("retry-after", "0"))
    except ValueError:
        return 0.0

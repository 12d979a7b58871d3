"""`[generator] backend = "remote"`: AudioGen on the team's server, keyed as if it ran here.

The server says which model it serves (its identity: hub commit or folder digest) and with
which decoder. This backend then *is* that AudioGen for keying: its name is "audiogen" and
its key fields come from the AudioGen backend itself, pinned to the server's identity and
decoder, so a sound's keys, lock entry and provenance are the ones a local build with that
model and decoder would write, and either machine sees the other's sounds as fresh.

The server's answer is remembered per URL in the cache folder: with the server down,
planning still works (built sounds stay fresh, cached ones still install), and only the
sounds that need the server fail, each with the reason. Each sound is its own request;
as many run at once as the server allows a client, and each result is yielded as it lands.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sfx_pipeline.atomic import write_atomic
from sfx_pipeline.errors import ModelUnavailable
from sfx_pipeline.generators.base import Context, Generated, Job
from sfx_pipeline.keys import generation_fields
from sfx_pipeline.remote import wire
from sfx_pipeline.remote.http import DEFAULT_RETRY, Client, Retry, Unreachable
from sfx_pipeline.report import Reporter
from sfx_pipeline.sound import SoundSpec

DEFAULT_TIMEOUT = 300.0  # seconds to wait for one sound: the server may be busy with others' work first
PROBE = Retry(attempts=1)  # `auto` asks once: a laptop offline must not wait before building placeholders
PLANNING = Retry(attempts=2)  # asking what the server serves: one retry, then plan with what it said last
ASK_AGAIN_AFTER = 5.0  # seconds a failure, or planning from memory, is trusted before the server is asked again
SERVE_FIX = "start `sfx-pipeline serve` on the GPU machine, or check [generator] url"


@dataclass(frozen=True)
class ServerInfo:
    url: str
    model: str  # as the server's config names it
    identity: str  # hub commit or folder digest: what the keys hold
    decoder: str
    algorithm: str
    reproducibility: str
    max_in_flight: int
    precision: str = "auto"

    def settings(self) -> dict[str, str]:
        """The server's [generator] settings that decide how its sounds are keyed and made."""
        return {"decoder": self.decoder, "precision": self.precision}

    @staticmethod
    def parse(url: str, doc: Any) -> ServerInfo:
        try:
            return ServerInfo(url, str(doc["model"]), str(doc["identity"]), str(doc["decoder"]),
                              str(doc["algorithm"]), str(doc["reproducibility"]), max(1, int(doc["max_in_flight"])),
                              str(doc.get("precision") or "auto"))
        except (TypeError, KeyError, ValueError) as exc:
            raise ModelUnavailable(f"{url} did not answer like an sfx-pipeline server ({exc!r} missing or wrong)",
                                   "check [generator] url: it must point at `sfx-pipeline serve`") from exc


def token() -> str | None:
    return os.environ.get(wire.CLIENT_TOKEN_ENV, "").strip() or None


def client_for(settings: dict[str, Any], retry: Retry = DEFAULT_RETRY) -> Client:
    url = str(settings.get("url") or "")
    if not url:
        raise ModelUnavailable('[generator] backend "remote" needs the server\'s address',
                               'add url = "http://gpu-box:8750" under [generator] in sfx-pipeline.toml')
    if token() is None:
        raise ModelUnavailable(f"{wire.CLIENT_TOKEN_ENV} is not set, so the server at {url} cannot be used",
                               f"export {wire.CLIENT_TOKEN_ENV}=<the token the server was started with>")
    return Client(url, token(), float(settings.get("timeout") or DEFAULT_TIMEOUT), retry=retry)


def ask_info(client: Client) -> ServerInfo:
    """Raises Unreachable, or ModelUnavailable when the server answers but refuses."""
    response = client.request("GET", "/v1/info")
    if response.status == 401:
        raise ModelUnavailable(f"the server at {client.base_url} refused the token: {response.error()}",
                               f"set {wire.CLIENT_TOKEN_ENV} to the token the server was started with")
    if response.status != 200:
        raise ModelUnavailable(f"the server at {client.base_url} answered {response.status}: {response.error()}",
                               SERVE_FIX)
    return ServerInfo.parse(client.base_url, response.json())


def unavailable_reason(ctx: Context, model: str) -> str | None:
    """For `auto`: None when a configured server answers now, else why not (asked once, no
    retries); "" when no server is configured."""
    if not ctx.settings.get("url"):
        return ""
    try:
        info = ask_info(client_for(ctx.settings, PROBE))
    except ModelUnavailable as exc:
        return exc.message
    except Unreachable as exc:
        return f"the server at {ctx.settings['url']} is unreachable ({exc})"
    return _model_mismatch(info, model)


def _model_mismatch(info: ServerInfo, model: str) -> str | None:
    """Hub ids must agree; local folders are named by path, which differs between machines,
    and by digest in the keys, which does not."""
    from sfx_pipeline.generators.audiogen.availability import is_local

    if is_local(model) or is_local(info.model) or model == info.model:
        return None
    return f"the server at {info.url} serves {info.model}, not {model}"


class RemoteGenerator:
    name = "audiogen"  # part of every key: the same as a local AudioGen's
    placeholder = False

    def __init__(self, ctx: Context, model: str, identity: str | None = None) -> None:
        self.ctx, self.model = ctx, model
        self._info: ServerInfo | None = None
        self._live = False  # _info came from the server now, not from memory
        self._asked_at = 0.0  # time.monotonic() of the last answer or failure
        self._failure: ModelUnavailable | None = None
        self._keyer: Any = None  # the AudioGen backend pinned to the server's model and decoder
        self._down = ""  # why the server stopped answering during this build
        # The server showed during this build that it serves something else now: the next
        # build plans again, and this one keeps the answer it planned with (see `run`).
        self._changed = False
        self._lock = threading.Lock()

    # planning ----------------------------------------------------------------------------

    def info(self) -> ServerInfo:
        """What the server serves. A live answer holds for the process (`watch` included) until
        the server shows it changed; a failure, or planning from memory, holds for a few
        seconds: a build with a hundred remote sounds and no server waits for one answer, not
        a hundred, and the next build of a `watch` session asks again."""
        if (self._failure is not None or not self._live) and time.monotonic() - self._asked_at > ASK_AGAIN_AFTER:
            self._forget()
        if self._failure is not None:
            raise self._failure
        if self._info is None:
            try:
                info = self._fetch_info()
                mismatch = _model_mismatch(info, self.model)
                if mismatch:
                    raise ModelUnavailable(mismatch, f'set model = "{info.model}" or build it where that model runs')
            except ModelUnavailable as exc:
                self._failure = exc
                raise
            finally:
                self._asked_at = time.monotonic()
            self._info = info
        return self._info

    def _forget(self) -> None:
        """Ask the server again at the next question."""
        self._info, self._live, self._failure, self._keyer, self._down = None, False, None, None, ""

    @property
    def version(self) -> str:
        return str(self._pinned().version)

    @version.setter
    def version(self, value: str) -> None:
        raise AttributeError("the server's decoder sets the version")

    def identity(self) -> str:
        return self.info().identity

    def key_fields(self, spec: SoundSpec) -> dict[str, Any]:
        fields: dict[str, Any] = self._pinned().key_fields(spec)
        return fields

    def reproducibility(self) -> str:
        return self.info().reproducibility

    def _pinned(self) -> Any:
        if self._keyer is None:
            from sfx_pipeline.generators.audiogen.backend import VERSIONS, AudioGenGenerator

            info = self.info()
            if VERSIONS.get(info.decoder) != info.algorithm:
                raise ModelUnavailable(f"the server at {info.url} runs decoder {info.decoder} version "
                                       f"{info.algorithm}, which this sfx-pipeline does not know",
                                       "install the same sfx-pipeline version here and on the server")
            ctx = Context({**self.ctx.settings, **info.settings()}, self.ctx.cache_dir, self.ctx.reporter)
            self._keyer = AudioGenGenerator(ctx, self.model, info.identity)
        return self._keyer

    def _fetch_info(self) -> ServerInfo:
        client = client_for(self.ctx.settings, PLANNING)
        url = client.base_url
        try:
            info = ask_info(client)
        except Unreachable as exc:
            known = _remembered(self.ctx.cache_dir, url)
            if known is None:
                raise ModelUnavailable(f"cannot reach the server at {url}: {exc}", SERVE_FIX) from None
            self._down = f"the server at {url} is unreachable ({exc})"
            self.ctx.reporter.line(f"remote: {self._down}; planning with the model it last served "
                                   f"({known.identity}); sounds not in a cache will fail")
            return known
        self._live = True
        _remember(self.ctx.cache_dir, info)
        self.ctx.reporter.line(f"remote: {url} serves {info.model} ({info.decoder} decoder)")
        return info

    # generating --------------------------------------------------------------------------

    def run(self, jobs: Sequence[Job], reporter: Reporter) -> Iterator[Generated]:
        info = self.info()
        client = client_for(self.ctx.settings)
        pool = ThreadPoolExecutor(max_workers=max(1, min(len(jobs), info.max_in_flight)),
                                  thread_name_prefix="sfx-remote")
        label = f"sounds from {info.url}"
        try:
            futures: dict[Future[Generated], Job] = {pool.submit(self._one, client, job): job for job in jobs}
            for done, future in enumerate(as_completed(futures), 1):
                reporter.progress(done, len(jobs), label)
                yield future.result()
        finally:
            reporter.done()
            client.abort()  # an interrupted build: threads blocked in reads return now
            pool.shutdown(wait=True, cancel_futures=True)
            if self._down:  # it went away during the build: the next build asks again
                self._live, self._asked_at = False, time.monotonic()
            if self._changed:  # not before the build ends: `info` asked mid-build would ask the server
                self._live, self._changed = False, False

    def _one(self, client: Client, job: Job) -> Generated:
        if self._down:
            return Generated(job, None, 0, error=f"{self._down}; {SERVE_FIX}")
        body = json.dumps({"key": job.key, "generation": generation_fields(job.spec, self)}).encode()
        try:
            response = client.request("POST", "/v1/generate", body, {"Content-Type": "application/json"})
        except Unreachable as exc:
            with self._lock:
                self._down = self._down or f"the server at {client.base_url} stopped answering ({exc})"
            return Generated(job, None, 0, error=f"{self._down}; {SERVE_FIX}")
        if response.status == 409:  # it serves another model or decoder now: plan again next build
            self._changed = True
        if response.status != 200:
            return Generated(job, None, 0, error=f"the server at {client.base_url} answered {response.status}: "
                                                 f"{response.error()}")
        return self._accept(job, response.body)

    def _accept(self, job: Job, data: bytes) -> Generated:
        try:
            envelope = wire.unpack(data, job.key)
        except wire.BadEnvelope as exc:
            return Generated(job, None, 0, error=f"the server's answer was damaged in transit: {exc}")
        made_by = envelope.provenance
        info = self.info()
        if (made_by.get("model"), made_by.get("algorithm")) != (info.identity, self.version):
            self._changed = True  # plan again next build
            return Generated(job, None, 0, error=f"the server now runs {made_by.get('model')} "
                                                 f"({made_by.get('algorithm')}), not the model this build planned "
                                                 "with; build again")
        return Generated(job, envelope.audio, envelope.rate, info=envelope.batch)


# what a server said last time --------------------------------------------------------------

def _memo_path(cache_dir: Path) -> Path:
    return cache_dir / "servers.json"


def _remembered(cache_dir: Path, url: str) -> ServerInfo | None:
    try:
        doc = json.loads(_memo_path(cache_dir).read_bytes())
        return ServerInfo.parse(url, doc[url])
    except (OSError, ValueError, KeyError, TypeError, ModelUnavailable):
        return None  # none, or damaged: the same as never having asked


def _remember(cache_dir: Path, info: ServerInfo) -> None:
    try:
        doc = json.loads(_memo_path(cache_dir).read_bytes())
        doc = doc if isinstance(doc, dict) else {}
    except (OSError, ValueError):
        doc = {}
    entry = {"model": info.model, "identity": info.identity, "decoder": info.decoder, "algorithm": info.algorithm,
             "reproducibility": info.reproducibility, "max_in_flight": info.max_in_flight,
             "precision": info.precision}
    if doc.get(info.url) != entry:
        doc[info.url] = entry
        try:
            write_atomic(_memo_path(cache_dir), json.dumps(doc, indent=2, sort_keys=True).encode(), durable=False)
        except OSError:
            pass  # a read-only cache folder: planning offline will need the server, nothing worse

"""The server's decode loop, in process, on the tiny checkpoint: requests join a run in
progress, a joined sound is the sound a local build makes, and the engine serves both
decoders. Plus the parts a test can drive directly: the per-client cap, the token check,
the envelope store, and the client's retries against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sfx_pipeline.generators.audiogen.backend import AudioGenGenerator
from sfx_pipeline.generators.audiogen.fast.decoder import FastDecoder
from sfx_pipeline.generators.audiogen.fast.jobs import request_for
from sfx_pipeline.generators.audiogen.fast.scheduler import Request
from sfx_pipeline.generators.base import Context, Generated, Job
from sfx_pipeline.remote import wire
from sfx_pipeline.remote.http import Client, Retry, Unreachable
from sfx_pipeline.report import QuietReporter
from sfx_pipeline.serve.engine import Engine, Ticket
from sfx_pipeline.serve.intake import Refusal, job_from
from sfx_pipeline.serve.service import Limits, Service
from sfx_pipeline.serve.store import EnvelopeStore


def generator(model: Path, cache: Path, decoder: str = "fast") -> AudioGenGenerator:
    settings = {"model": str(model), "device": "cpu", "decoder": decoder, "max_batch_size": 4}
    return AudioGenGenerator(Context(settings, cache, QuietReporter()), str(model))


def job(keyer: AudioGenGenerator, prompt: str, frames: int, seed: int = 1) -> Job:
    from sfx_pipeline.hashing import key_of
    from sfx_pipeline.keys import generation_fields
    from sfx_pipeline.serve.intake import spec_for

    fields = {"prompt": prompt, "frames": frames, "seed": seed, "temperature": 1.0, "top_k": 250, "top_p": 0.0,
              "cfg_coef": 3.0}
    spec = spec_for(fields, keyer.model)
    generation = generation_fields(spec, keyer)
    return job_from({"key": key_of(generation), "generation": generation}, keyer, 10.0)


@pytest.fixture(scope="module")
def loaded(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> AudioGenGenerator:
    made = generator(tiny_model, tmp_path_factory.mktemp("engine-cache"))
    made.loaded()
    return made


def test_a_request_joins_the_run_in_progress_and_decodes_as_it_would_alone(loaded: AudioGenGenerator) -> None:
    from sfx_pipeline.serve.open_decoder import OpenDecoder

    decoder = OpenDecoder(loaded.loaded().model)
    long = Request("long", "rain on a roof", 200, seed=5)
    short = Request("short", "a coin", 25, seed=9, temperature=0.8, top_k=50)
    calls = []

    def more() -> list[Request]:
        calls.append(1)
        return [short] if len(calls) == 10 else []  # arrives while `long` is 10 steps in

    order = [(request.id, audio) for request, audio in decoder.serve([long], more, slots=4)]
    assert [name for name, _ in order] == ["short", "long"]  # it did not wait for the run to end
    alone = FastDecoder(loaded.loaded().model)
    for request in (long, short):
        (_, expected), = list(alone.generate([request], 4))
        assert np.array_equal(dict(order)[request.id], expected)  # bit-exact on a CPU


@pytest.mark.parametrize("decoder", ["fast", "audiocraft"])
def test_the_engine_serves_every_ticket_with_the_local_backends_audio(tiny_model: Path, tmp_path: Path,
                                                                      decoder: str) -> None:
    made = generator(tiny_model, tmp_path, decoder)
    engine = Engine(made, QuietReporter())
    engine.start()
    assert engine.settled.wait(120) and engine.ready.is_set()
    jobs = [job(made, f"sound {i}", 20 + 5 * i, seed=i) for i in range(5)]
    results: dict[str, Generated] = {}
    done = threading.Event()

    def deliver(result: Generated) -> None:
        results[result.job.key] = result
        if len(results) == len(jobs):
            done.set()

    for j in jobs:
        engine.submit(Ticket(j, deliver, request_for(j) if decoder == "fast" else None))
    assert done.wait(300)
    local = {g.job.key: g for g in generator(tiny_model, tmp_path / "local", decoder).run(jobs, QuietReporter())}
    for j in jobs:
        assert results[j.key].audio is not None and results[j.key].rate == 16000
        if decoder == "fast":  # per-sound seeds: the same audio whatever else was decoded with it
            assert np.array_equal(results[j.key].audio, local[j.key].audio)
            assert results[j.key].info == local[j.key].info
    assert engine.stats.generated == len(jobs) and engine.waiting() == 0


def test_caps_and_the_token(tmp_path: Path) -> None:
    service = Service(Engine(None, QuietReporter()), EnvelopeStore(tmp_path), "s3cret-token-0123456789",
                      Limits(max_in_flight=2))
    with service.slot_for("10.0.0.1"), service.slot_for("10.0.0.1"), service.slot_for("10.0.0.2"):
        with pytest.raises(Refusal) as refused:
            with service.slot_for("10.0.0.1"):
                pass
        assert refused.value.status == 429 and refused.value.headers["Retry-After"]
    with service.slot_for("10.0.0.1"), service.slot_for("10.0.0.1"):
        pass  # freed again
    service.authorize("Bearer s3cret-token-0123456789")
    for header in (None, "", "Bearer", "Basic s3cret-token-0123456789", "Bearer s3cret-token-012345678"):
        with pytest.raises(Refusal) as refused:
            service.authorize(header)
        assert refused.value.status == 401
    with pytest.raises(Refusal) as refused:
        service.ready_or_refuse()
    assert refused.value.status == 503


def test_the_store_keeps_only_whole_envelopes_of_their_key(tmp_path: Path) -> None:
    store = EnvelopeStore(tmp_path)
    key, other = "a" * 32, "b" * 32
    data = wire.pack(wire.Envelope(key, np.linspace(-1, 1, 100, dtype=np.float32), 16000))
    with pytest.raises(wire.BadEnvelope):
        store.put(other, data)  # another key's bytes
    with pytest.raises(wire.BadEnvelope):
        store.put(key, data[:-8])  # truncated
    assert store.put(key, data) and not store.put(key, data)
    assert store.get(key) == data
    path = tmp_path / key[:2] / key
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # damaged at rest
    assert store.get(key) is None and not path.exists()
    with pytest.raises(ValueError):
        store.has("../../etc/passwd")


class _Flaky(http.server.BaseHTTPRequestHandler):
    """Answers 503 twice, then 200: a server still loading its model."""

    answers: list[int] = []

    def do_GET(self) -> None:
        status = self.answers.pop(0) if self.answers else 200
        self.send_response(status)
        self.send_header("Retry-After", "1")
        self.end_headers()
        self.wfile.write(b'{"ok": true}' if status == 200 else b'{"error": "loading"}')

    def log_message(self, *args: Any) -> None:
        pass


def test_the_client_retries_503_with_backoff_then_gives_up_clearly() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    waits: list[float] = []
    try:
        _Flaky.answers = [503, 503]
        client = Client(url, "t", timeout=5, retry=Retry(attempts=5, backoff=0.5), sleep=waits.append)
        assert client.request("GET", "/v1/info").status == 200
        assert len(waits) == 2 and waits[0] >= 0.8 and waits[1] > waits[0]  # Retry-After 1 s, then doubling
        _Flaky.answers = [503] * 9
        answer = Client(url, "t", timeout=5, retry=Retry(attempts=3), sleep=waits.append).request("GET", "/")
        assert answer.status == 503 and "loading" in answer.error()
    finally:
        server.shutdown()
        server.server_close()
    started = time.monotonic()
    with pytest.raises(Unreachable) as gone:
        Client(url, "t", timeout=5, retry=Retry(attempts=3), sleep=waits.append).request("GET", "/")
    assert "refused" in str(gone.value) and time.monotonic() - started < 5

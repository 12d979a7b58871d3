"""`sfx-pipeline serve` and `backend = "remote"`, against a real server on 127.0.0.1 started
through the CLI, serving a random-weight AudioGen checkpoint on the CPU."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import time
from pathlib import Path

import pytest
from servers import TOKEN, Serve, cli, free_port, http

from sfx_pipeline.hashing import key_of
from sfx_pipeline.remote import wire
from support.project import GameProject, use_audiogen, use_remote

pytestmark = pytest.mark.skipif(os.name == "nt", reason="the server tests signal processes the POSIX way")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path):
    serve = Serve(tmp_path_factory.mktemp("serve"), tiny_model)
    try:
        serve.wait_ready()
        yield serve
    finally:
        serve.stop()


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SFX_PIPELINE_TOKEN", TOKEN)
    return TOKEN


def another(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> GameProject:
    root = tmp_path / name
    root.mkdir()
    return GameProject(root, capsys)


def descriptors(project: GameProject, tag: str = "") -> None:
    project.sound("door", f"door creak{tag}", "seed = 7\n", duration=1.0)
    project.sound("wind", f"wind{tag}", "[generation]\ntemperature = 0.8\ntop_k = 40\n", duration=0.6)


def fields(info: dict, **changes: object) -> dict:
    generation = {"backend": "audiogen", "algorithm": info["algorithm"], "prompt": "a bell", "seed": 1,
                  "model": info["identity"], "frame_rate": 50, "frames": 25, "temperature": 1.0, "top_k": 250,
                  "top_p": 0.0, "cfg_coef": 3.0}
    return {**generation, **changes}


def test_a_remote_sound_is_the_sound_a_local_build_makes(project: GameProject, tiny_model: Path, server: Serve,
                                                        token: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    use_remote(project, tiny_model, server.url)
    descriptors(project)
    doc = project.build()
    assert doc["counts"]["generated"] == 2 and doc["exit_code"] == 0
    assert any(m.startswith(f"remote: {server.url} serves") for m in doc["messages"])
    remote_lock = project.lock()
    for entry in remote_lock["assets"].values():
        assert entry["backend"] == "audiogen" and not entry["placeholder"]
        assert entry["model"].startswith("local:") and entry["batch"]["decoder"] == "fast"

    local = another(tmp_path, "local", capsys)
    use_audiogen(local, tiny_model)
    descriptors(local)
    monkeypatch.setenv("SFX_PIPELINE_CACHE", str(tmp_path / "local-cache"))
    assert local.build()["counts"]["generated"] == 2
    assert local.lock() == remote_lock  # same keys, same provenance, same reproducibility promise
    for name in ("door", "wind"):
        assert local.wav(f"audio/{name}.wav").read_bytes() == project.wav(f"audio/{name}.wav").read_bytes()

    # The GPU machine's build sees the laptop's sounds as fresh, and the other way round.
    assert local.run("status").code == 0 and project.run("status").code == 0
    # A third machine with an empty cache gets them from the server's store, not the model.
    before = server.metrics()
    third = another(tmp_path, "third", capsys)
    use_remote(third, tiny_model, server.url)
    descriptors(third)
    monkeypatch.setenv("SFX_PIPELINE_CACHE", str(tmp_path / "third-cache"))
    assert third.build()["counts"]["generated"] == 2
    after = server.metrics()
    assert after["sfx_serve_sounds_generated_total"] == before["sfx_serve_sounds_generated_total"]
    assert after['sfx_serve_requests_total{source="stored"}'] == before['sfx_serve_requests_total{source="stored"}'] + 2


def test_the_server_checks_the_token_and_answers_bad_requests_with_json(server: Serve) -> None:
    assert http("GET", f"{server.url}/health", token=None).json() == {"status": "ok"}
    for token in (None, "wrong-token-0123456789-abcdefghij", TOKEN[:-1]):
        answer = http("GET", f"{server.url}/v1/info", token=token)
        assert answer.status == 401 and "token" in answer.json()["error"]
        assert "SFX_PIPELINE_TOKEN" in answer.json()["fix"] and answer.headers["www-authenticate"].startswith("Bearer")
    assert http("GET", f"{server.url}/metrics", token=None).status == 401
    info = http("GET", f"{server.url}/v1/info").json()
    assert info["decoder"] == "fast" and info["identity"].startswith("local:") and info["ready"]

    generate = f"{server.url}/v1/generate"

    def post(doc: object) -> tuple[int, dict]:
        answer = http("POST", generate, json.dumps(doc).encode(), headers={"Content-Type": "application/json"})
        return answer.status, answer.json() if answer.status != 200 else {}

    assert http("POST", generate, b"{not json").status == 400
    assert http("POST", generate, b" " * (65 * 1024)).status == 413
    status, error = post({"key": "0" * 32, "generation": fields(info)})
    assert status == 400 and "digest" in error["error"]
    wrong_model = fields(info, model="local:someone-else")
    status, error = post({"key": key_of(wrong_model), "generation": wrong_model})
    assert status == 409 and "model" in error["error"] and error["fix"]
    too_long = fields(info, frames=50 * 11)
    status, error = post({"key": key_of(too_long), "generation": too_long})
    assert status == 400 and "--max-seconds" in error["fix"]
    hot = fields(info, temperature=99.0)
    status, error = post({"key": key_of(hot), "generation": hot})
    assert status == 400 and "temperature" in error["error"]
    status, error = post({"generation": "no"})
    assert status == 400 and "key" in error["error"]

    good = fields(info)
    answer = http("POST", generate, json.dumps({"key": key_of(good), "generation": good}).encode())
    assert answer.status == 200
    envelope = wire.unpack(answer.body, key_of(good))
    assert envelope.provenance["model"] == info["identity"] and envelope.provenance["decoder"] == "fast"
    assert envelope.rate == 16000 and len(envelope.audio) == 16000 // 2

    assert http("GET", f"{server.url}/nothing").status == 404
    assert http("DELETE", f"{server.url}/v1/info").status == 405
    assert http("GET", f"{server.url}/cas/..%2F..%2Fetc%2Fpasswd").status in (400, 404)
    assert http("PUT", f"{server.url}/cas/{'a' * 32}", b"junk").status == 400
    assert http("GET", f"{server.url}/cas/{key_of(good)}").body == answer.body


def test_a_wrong_token_fails_only_the_remote_sounds(project: GameProject, tiny_model: Path, server: Serve,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SFX_PIPELINE_TOKEN", "not-the-token-0123456789")
    use_remote(project, tiny_model, server.url)
    project.sound("door", "door creak")
    project.sound("blip", "ui blip", '[generation]\nbackend = "procedural"\n')
    doc = project.build()
    assert doc["exit_code"] == 1
    assert [a["output"] for a in doc["assets"] if a["outcome"] == "generated"] == ["audio/blip.wav"]
    problem = doc["problems"][0]
    assert problem["file"] == "sfx/door.sfx.toml" and "refused the token" in problem["message"]
    assert "SFX_PIPELINE_TOKEN" in problem["hint"]
    monkeypatch.delenv("SFX_PIPELINE_TOKEN")
    doc = project.build()
    assert "SFX_PIPELINE_TOKEN is not set" in doc["problems"][0]["message"]


def test_two_clients_asking_for_the_same_sound_get_one_generation(tiny_model: Path, server: Serve, token: str,
                                                                  tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    clients = [another(tmp_path, f"laptop{i}", capsys) for i in range(2)]
    for client in clients:
        use_remote(client, tiny_model, server.url)
        client.sound("bell", "a bell, shared", "seed = 11\n", duration=2.0)
    before = server.metrics()["sfx_serve_sounds_generated_total"]
    builds = [subprocess.Popen([*cli(), "build", "--json", "--project", str(c.root)], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL,
                               env={**os.environ, "SFX_PIPELINE_CACHE": str(tmp_path / f"cache{i}")})
              for i, c in enumerate(clients)]
    docs = [json.loads(b.communicate(timeout=300)[0]) for b in builds]
    assert [d["counts"]["generated"] for d in docs] == [1, 1]
    assert server.metrics()["sfx_serve_sounds_generated_total"] == before + 1
    assert clients[0].wav("audio/bell.wav").read_bytes() == clients[1].wav("audio/bell.wav").read_bytes()


def test_auto_prefers_a_reachable_server_over_placeholders(project: GameProject, tiny_model: Path, server: Serve,
                                                           token: str) -> None:
    use_remote(project, tiny_model, f"http://127.0.0.1:{free_port()}", backend="auto", extra='device = "cuda"')
    project.sound("door", "door creak")
    doc = project.build()  # no GPU here and nothing listening there: placeholders, saying why
    assert doc["assets"][0]["placeholder"]
    assert any("remote: the server at" in m and "unreachable" in m for m in doc["messages"])
    use_remote(project, tiny_model, server.url, backend="auto", extra='device = "cuda"')
    doc = project.build()
    assert doc["assets"][0]["outcome"] == "generated" and not doc["assets"][0]["placeholder"]
    assert any(m.startswith("backend auto: using remote") for m in doc["messages"])
    assert project.lock()["assets"]["audio/door.wav"]["backend"] == "audiogen"


def test_a_local_model_reads_the_servers_shared_cache(project: GameProject, tiny_model: Path, server: Serve,
                                                      token: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    use_remote(project, tiny_model, server.url)
    project.sound("gong", "a gong", duration=1.0)
    project.build()
    gpu_box = another(tmp_path, "gpu-box", capsys)
    use_audiogen(gpu_box, tiny_model, f'[cache]\nremote = "{server.url}"\nread_only = true')
    gpu_box.sound("gong", "a gong", duration=1.0)
    monkeypatch.setenv("SFX_PIPELINE_CACHE", str(tmp_path / "gpu-cache"))
    doc = gpu_box.build()
    assert doc["assets"][0]["outcome"] == "cached"  # fetched, verified, not generated
    assert gpu_box.wav("audio/gong.wav").read_bytes() == project.wav("audio/gong.wav").read_bytes()


def test_a_server_killed_mid_build_fails_only_its_sounds_and_they_build_offline_later(
        project: GameProject, tiny_model: Path, token: str, tmp_path: Path) -> None:
    server = Serve(tmp_path / "dying", tiny_model)
    try:
        server.wait_ready()
        use_remote(project, tiny_model, server.url)
        project.sound("first", "first sound", duration=1.0)
        assert project.build()["counts"]["generated"] == 1
        for i in range(6):
            project.sound(f"long{i}", f"long sound {i}", duration=10.0)
        project.sound("blip", "ui blip", '[generation]\nbackend = "procedural"\n')
        build = subprocess.Popen([*cli(), "build", "--json", "--project", str(project.root)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and build.poll() is None:
            if server.metrics()["sfx_serve_sounds_in_flight"] > 0:
                break
            time.sleep(0.05)
        server.kill()  # SIGKILL: no goodbye, connections drop mid-answer
        out, err = build.communicate(timeout=120)  # retries back off, then give up: nothing hangs
    finally:
        server.stop()
    doc = json.loads(out)
    assert doc["exit_code"] == 1
    outcomes = {a["output"]: a for a in doc["assets"]}
    assert outcomes["audio/blip.wav"]["outcome"] == "generated"
    failed = [a for a in doc["assets"] if a["outcome"] == "failed"]
    assert failed and all(a["output"].startswith("audio/long") for a in failed)
    assert all(server.url in a["message"] and "sfx-pipeline serve" in a["message"] for a in failed)

    # Offline now: planning uses the model the server last served, and the cache has the first sound.
    first = project.wav("audio/first.wav").read_bytes()
    project.wav("audio/first.wav").unlink()
    doc = project.build("--only", "first")
    assert doc["assets"][0]["outcome"] == "cached" and project.wav("audio/first.wav").read_bytes() == first
    assert any("unreachable" in m for m in doc["messages"])


def test_serve_refuses_to_start_without_a_good_token(tmp_path: Path, tiny_model: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "sfx-pipeline.toml").write_text(textwrap.dedent(f"""
        [generator]
        model = "{tiny_model.as_posix()}"
        device = "cpu"
    """), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "SFX_PIPELINE_SERVE_TOKEN"}
    run = subprocess.run([*cli(), "serve", "--project", str(project)], env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 1 and "SFX_PIPELINE_SERVE_TOKEN is not set" in run.stderr
    short = tmp_path / "token"
    short.write_text("short\n")
    run = subprocess.run([*cli(), "serve", "--project", str(project), "--token-file", str(short)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "at least 16" in run.stderr


def test_a_server_that_accepts_but_never_answers_times_out(project: GameProject, tiny_model: Path,
                                                            token: str) -> None:
    import socket

    with socket.socket() as silent:  # the kernel completes connections to it; nothing ever reads or answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        use_remote(project, tiny_model, f"http://127.0.0.1:{silent.getsockname()[1]}", "timeout = 1.0")
        project.sound("door", "door creak")
        project.sound("blip", "ui blip", '[generation]\nbackend = "procedural"\n')
        started = time.monotonic()
        doc = project.build()
        assert time.monotonic() - started < 30
    assert [a["output"] for a in doc["assets"] if a["outcome"] == "generated"] == ["audio/blip.wav"]
    assert "timed out" in doc["problems"][0]["message"] and doc["problems"][0]["file"] == "sfx/door.sfx.toml"



def test_a_long_lived_process_picks_the_server_up_when_it_starts(project: GameProject, tiny_model: Path, token: str,
                                                                 tmp_path: Path) -> None:
    """As `watch` does: one Project, so one backend object, build after build."""
    from sfx_pipeline.build import Options, build
    from sfx_pipeline.project import Project
    from sfx_pipeline.remote.backend import ASK_AGAIN_AFTER
    from sfx_pipeline.report import QuietReporter

    port = free_port()
    use_remote(project, tiny_model, f"http://127.0.0.1:{port}")
    project.sound("door", "door creak")
    session = Project(project.root, QuietReporter())
    report = build(session, Options())
    failed_at = time.monotonic()
    assert "cannot reach the server" in report.problems[0].message
    server = Serve(tmp_path / "late", tiny_model, port=port)
    try:
        server.wait_ready()
        time.sleep(max(0.0, ASK_AGAIN_AFTER - (time.monotonic() - failed_at)))  # the failure is trusted this long
        report = build(session, Options())
    finally:
        server.stop()
    assert not report.problems and report.count("generated") == 1


def test_a_server_that_changed_mid_build_is_asked_again_by_the_next_build_not_this_one(
        project: GameProject, token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Faked: a server that answers 409, as one restarted with another model between two jobs
    # of a build does; a real restart cannot be timed to fall between two jobs.
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from sfx_pipeline import config as config_mod
    from sfx_pipeline import scan
    from sfx_pipeline.generators.base import Context, Job
    from sfx_pipeline.remote import backend
    from sfx_pipeline.report import QuietReporter

    asked: list[str] = []
    info = {"model": "facebook/audiogen-medium", "identity": "a" * 40, "decoder": "fast",
            "algorithm": "fast-1", "reproducibility": "batch-independent", "max_in_flight": 2}

    class Changed(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self._answer(200, info)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self._answer(409, {"error": "this server runs another model now", "fix": "build again"})

        def _answer(self, status: int, doc: dict) -> None:
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Changed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setattr(backend, "ASK_AGAIN_AFTER", 0.0)  # no waiting out the window in a test
        project.sound("door", "door creak")
        (spec,) = scan.load_all(config_mod.load(project.root)).specs
        url = f"http://127.0.0.1:{server.server_address[1]}"
        remote = backend.RemoteGenerator(Context({"url": url}, tmp_path / "cache", QuietReporter()),
                                         "facebook/audiogen-medium")
        assert remote.identity() == "a" * 40 and asked == ["/v1/info"]  # planning
        for done in remote.run([Job(spec, "0" * 32)], QuietReporter()):
            assert "409" in done.error
            assert remote.reproducibility() == "batch-independent"  # as the producer asks mid-build
            assert asked == ["/v1/info"], "the build keeps the answer it planned with"
        remote.info()  # the next build
        assert asked == ["/v1/info", "/v1/info"]
    finally:
        server.shutdown()
        server.server_close()

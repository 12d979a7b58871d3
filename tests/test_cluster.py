"""Many GPUs on Ray Serve, tried locally: one CPU replica of the tiny checkpoint behind Ray's
proxy on 127.0.0.1, used by a build exactly as a laptop uses `sfx-pipeline serve`.

Opt-in by installing Ray (`pip install "sfx-pipeline[cluster]"`): it is a large download that
CI does not take; where it is installed this test runs (25 s to 2 min on a busy 2-core VM)."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import pytest
from servers import TOKEN, free_port, http

from support.project import GameProject, use_audiogen, use_remote

pytestmark = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                                reason='Ray is not installed: pip install "sfx-pipeline[cluster]" to run this test')


@pytest.fixture
def ray_endpoint(tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch):
    import ray
    from ray import serve

    from sfx_pipeline.serve.cluster import app

    monkeypatch.setenv("SFX_PIPELINE_SERVE_TOKEN", TOKEN)
    project = tmp_path / "cluster-project"
    project.mkdir()
    (project / "sfx-pipeline.toml").write_text(textwrap.dedent(f"""
        [generator]
        model = "{tiny_model.as_posix()}"
        device = "cpu"
    """), encoding="utf-8")
    port = free_port()
    replica_env = {"SFX_PIPELINE_CACHE": str(tmp_path / "replica-cache"), "HF_HUB_OFFLINE": "1"}
    ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": replica_env})
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        serve.run(app({"project": str(project), "replicas": "1", "gpus": "0", "slots": "4"}), route_prefix="/")
        yield f"http://127.0.0.1:{port}"
    finally:
        serve.shutdown()
        ray.shutdown()


def test_a_build_uses_a_ray_serve_replica_like_a_server(ray_endpoint: str, project: GameProject, tiny_model: Path,
                                                        tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SFX_PIPELINE_TOKEN", TOKEN)
    use_remote(project, tiny_model, ray_endpoint)
    project.sound("door", "door creak", "seed = 7\n", duration=1.0)
    project.sound("wind", "wind", duration=0.6)
    doc = project.build()
    assert doc["counts"]["generated"] == 2 and doc["exit_code"] == 0
    assert http("GET", f"{ray_endpoint}/v1/info", token=None).status == 401
    metrics = http("GET", f"{ray_endpoint}/metrics").body.decode()
    assert "sfx_serve_sounds_generated_total 2.0" in metrics

    local_root = tmp_path / "local"
    local_root.mkdir()
    local = GameProject(local_root, capsys)
    use_audiogen(local, tiny_model)
    local.sound("door", "door creak", "seed = 7\n", duration=1.0)
    local.sound("wind", "wind", duration=0.6)
    monkeypatch.setenv("SFX_PIPELINE_CACHE", str(tmp_path / "local-cache"))
    local.build()
    assert local.lock() == project.lock()
    assert local.wav("audio/door.wav").read_bytes() == project.wav("audio/door.wav").read_bytes()

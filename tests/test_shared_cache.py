"""`[cache] remote` against nginx's WebDAV module (Debian's `nginx` package), started on
127.0.0.1 by the test with a config written into its temp folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from servers import Nginx, free_port, nginx_binary

from sfx_pipeline.remote import wire
from support.project import GameProject

pytestmark = pytest.mark.skipif(nginx_binary() is None,
                                reason="nginx is not installed (Debian: apt-get install nginx; .ci/run installs it)")


@pytest.fixture
def nginx(tmp_path: Path):
    server = Nginx(tmp_path / "nginx")
    try:
        yield server
    finally:
        server.stop()


def laptop(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str], remote: str,
           extra: str = "") -> GameProject:
    root = tmp_path / name
    root.mkdir()
    project = GameProject(root, capsys)
    project.write("sfx-pipeline.toml", f"""
        import_dir = "audio"
        cache_dir = "cache"
        [generator]
        backend = "procedural"
        [cache]
        remote = "{remote}"
        {extra}
    """)
    project.sound("door", "door creak", duration=1.0)
    return project


@pytest.fixture(autouse=True)
def no_cache_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SFX_PIPELINE_CACHE")  # each laptop keeps its own cache_dir


def stored(nginx: Nginx) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in nginx.files.iterdir()}


def test_builds_share_generated_audio_through_webdav(nginx: Nginx, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    first = laptop(tmp_path, "first", capsys, nginx.url)
    assert first.build()["counts"]["generated"] == 1
    key = first.lock()["assets"]["audio/door.wav"]["generation_key"]
    objects = stored(nginx)
    assert list(objects) == [key] and wire.unpack(objects[key], key).rate > 0

    second = laptop(tmp_path, "second", capsys, nginx.url)
    doc = second.build()
    assert doc["assets"][0]["outcome"] == "cached"  # from the shared store: nothing generated
    assert second.wav("audio/door.wav").read_bytes() == first.wav("audio/door.wav").read_bytes()
    assert (second.root / "cache" / "generations").is_dir()  # kept locally: the next build needs no network


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_damaged_remote_blob_is_never_installed(nginx: Nginx, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  damage: str) -> None:
    first = laptop(tmp_path, "first", capsys, nginx.url)
    first.build()
    key = first.lock()["assets"]["audio/door.wav"]["generation_key"]
    path = nginx.files / key
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[-100] ^= 0x40
    else:
        del data[len(data) // 2:]
    path.write_bytes(bytes(data))

    second = laptop(tmp_path, "second", capsys, nginx.url)
    doc = second.build()
    assert doc["assets"][0]["outcome"] == "generated"  # made again here, not taken from the damaged copy
    assert any("ignored a damaged entry" in m and key in m for m in doc["messages"])
    assert second.wav("audio/door.wav").read_bytes() == first.wav("audio/door.wav").read_bytes()
    wire.unpack(path.read_bytes(), key)  # and the good copy replaced the damaged one


def test_read_only_fetches_but_never_publishes(nginx: Nginx, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    reader = laptop(tmp_path, "reader", capsys, nginx.url, "read_only = true")
    assert reader.build()["counts"]["generated"] == 1
    assert stored(nginx) == {}
    writer = laptop(tmp_path, "writer", capsys, nginx.url)
    writer.sound("bell", "a bell")
    writer.build()
    assert len(stored(nginx)) == 2
    reader.sound("bell", "a bell")
    doc = reader.build()
    assert [a["outcome"] for a in doc["assets"] if a["output"] == "audio/bell.wav"] == ["cached"]


def test_an_unreachable_store_is_said_once_and_the_build_goes_on(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    project = laptop(tmp_path, "offline", capsys, f"http://127.0.0.1:{free_port()}")
    project.sound("bell", "a bell")
    doc = project.build()
    assert doc["exit_code"] == 0 and doc["counts"]["generated"] == 2
    assert sum("shared cache" in m and "unreachable" in m for m in doc["messages"]) == 1


def test_a_url_with_a_password_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = laptop(tmp_path, "leaky", capsys, "http://user:secret@cache.example:8080")
    run = project.run("build")
    assert run.code == 1 and "cache.remote" in run.err and "SFX_PIPELINE_TOKEN" in run.err

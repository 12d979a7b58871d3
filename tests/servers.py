"""Real servers for the tests, on loopback only: `sfx-pipeline serve` started through its CLI
as a user starts it, and nginx with its WebDAV module, configured in a temp folder."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

TOKEN = "test-token-0123456789-abcdefghij"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli() -> list[str]:
    """The installed `sfx-pipeline` script, as users run it (else the module, same code)."""
    script = Path(sys.executable).parent / ("sfx-pipeline.exe" if os.name == "nt" else "sfx-pipeline")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sfx_pipeline"]


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> dict:
        return json.loads(self.body)


def http(method: str, url: str, body: bytes | None = None, token: str | None = TOKEN,
         headers: dict[str, str] | None = None) -> Answer:
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return Answer(response.status, response.read(), {k.lower(): v for k, v in response.headers.items()})
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read(), {k.lower(): v for k, v in exc.headers.items()})


class Serve:
    """`sfx-pipeline serve` in a project of its own that serves `model` on the CPU."""

    def __init__(self, root: Path, model: Path, extra_args: tuple[str, ...] = (), port: int | None = None) -> None:
        self.root = root
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        project = root / "server"
        project.mkdir(parents=True, exist_ok=True)
        (project / "sfx-pipeline.toml").write_text(textwrap.dedent(f"""
            [generator]
            backend = "audiogen"
            model = "{model.as_posix()}"
            device = "cpu"
        """), encoding="utf-8")
        env = {**os.environ, "SFX_PIPELINE_SERVE_TOKEN": TOKEN, "SFX_PIPELINE_CACHE": str(root / "server-cache"),
               "HF_HUB_OFFLINE": "1", "HF_HOME": str(root / "hf")}
        self.log = root / "server.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen([*cli(), "serve", "--port", str(self.port), *extra_args], cwd=project,
                                            env=env, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited {self.process.returncode}:\n{self.log.read_text()}")
            try:
                if http("GET", f"{self.url}/ready", token=None).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"serve was not ready in {timeout} s:\n{self.log.read_text()}")

    def metrics(self) -> dict[str, float]:
        text = http("GET", f"{self.url}/metrics").body.decode()
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
        return values

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if os.name != "nt" else signal.SIGTERM)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


class Nginx:
    """nginx with the dav module serving `<root>/www/cas/` read-write at http://127.0.0.1:PORT/cas/."""

    def __init__(self, root: Path) -> None:
        binary = nginx_binary()
        assert binary is not None
        self.root, self.port = root, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.files = root / "www" / "cas"
        self.files.mkdir(parents=True)
        temp = root / "temp"
        temp.mkdir()
        user = "user root;\n" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""  # workers must reach tmp
        conf = root / "nginx.conf"
        conf.write_text(f"""{user}daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log;
worker_processes 1;
events {{ worker_connections 64; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    server {{
        listen 127.0.0.1:{self.port};
        location /cas/ {{
            root {root}/www;
            dav_methods PUT;
            create_full_put_path on;
            client_max_body_size 64m;
        }}
    }}
}}
""", encoding="utf-8")
        self.process = subprocess.Popen([binary, "-c", str(conf), "-p", str(root)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                errors = self.process.stderr.read().decode() if self.process.stderr else ""
                raise AssertionError(f"nginx exited: {errors}")
            try:
                if http("GET", f"{self.url}/cas/none", token=None).status == 404:
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(0.1)
        raise AssertionError("nginx did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

"""`sfx-pipeline serve` under load: do clients share its batches, and what does a round trip cost?

1. Throughput: the same 64 new sounds asked of one server by one client (one build of 64)
   and by two clients at once (two builds of 32, in separate processes). If batching works
   across clients, two clients finish about as fast as one, with the decoder's slots as
   full (in-flight sounds sampled from /metrics while the builds run).
2. Latency: one new sound, built by a warm process (as `watch` keeps one), through the
   server and with the model loaded locally; plus a cold `sfx-pipeline build` of one new
   sound each way, which is what a laptop without the server pays to load the model.

Everything runs on this machine: the server is `sfx-pipeline serve` on 127.0.0.1 with a
random-weight checkpoint (`--size tiny` by default; `--size medium` is audiogen-medium's
architecture, for a GPU), the clients are real builds.

    python bench/serve.py                                    # CPU, tiny checkpoint
    python bench/serve.py --device cuda --size medium --seconds 5 --slots 64
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # support.random_checkpoint: test and benchmark models, not shipped

TOKEN = "bench-token-0123456789-abcdefgh"
PROMPTS = ["heavy rain on a tin roof", "footsteps on gravel", "wooden door creaking open", "coin pickup chime",
           "laser gun shot", "glass shattering on tiles", "campfire crackling", "wind howling in the mountains"]


def cli() -> list[str]:
    return [sys.executable, "-m", "sfx_pipeline"]


def write_config(root: Path, model: Path, device: str, backend: str, url: str = "", slots: int = 0) -> None:
    root.mkdir(parents=True, exist_ok=True)
    lines = ['import_dir = "audio"', "[generator]", f'backend = "{backend}"', f'model = "{model.as_posix()}"',
             f'device = "{device}"', f"max_batch_size = {slots}"]
    if url:
        lines.append(f'url = "{url}"')
    (root / "sfx-pipeline.toml").write_text("\n".join(lines) + "\n")


def add_sounds(root: Path, tag: str, count: int, seconds: float) -> None:
    (root / "sfx").mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (root / "sfx" / f"{tag}_{i:03d}.sfx.toml").write_text(
            f'prompt = "{PROMPTS[i % len(PROMPTS)]} {tag}"\nduration = {seconds}\nseed = {i}\n')


class Server:
    def __init__(self, work: Path, model: Path, device: str, slots: int, port: int) -> None:
        project = work / "server"
        write_config(project, model, device, "audiogen", slots=slots)
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "SFX_PIPELINE_SERVE_TOKEN": TOKEN, "SFX_PIPELINE_CACHE": str(work / "server-cache")}
        self.log = (work / "server.log").open("wb")
        self.process = subprocess.Popen([*cli(), "serve", "--port", str(port), "--project", str(project)], env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/ready", timeout=5):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit(f"serve exited: see {work / 'server.log'}") from None
                time.sleep(0.2)
        raise SystemExit("serve did not become ready")

    def gauge(self, name: str) -> float:
        request = urllib.request.Request(f"{self.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            for line in response.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[-1])
        return 0.0

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        self.log.close()


class Sampler(threading.Thread):
    """In-flight sounds on the server, every 50 ms, while a scenario runs."""

    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self.server, self.samples, self.stopping = server, [], threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.samples.append((time.perf_counter(), self.server.gauge("sfx_serve_sounds_in_flight")))
            except OSError:
                pass
            self.stopping.wait(0.05)

    def stop(self) -> tuple[list[float], float]:
        """In-flight counts while decoding, and how long the decoder was busy (first to last sample > 0)."""
        self.stopping.set()
        self.join()
        busy = [(t, s) for t, s in self.samples if s > 0] or [(0.0, 0.0)]
        return [s for _, s in busy], busy[-1][0] - busy[0][0]


def throughput(work: Path, server: Server, model: Path, clients: int, total: int, seconds: float,
               name: str) -> dict:
    roots = []
    for c in range(clients):
        root = work / f"{name}-client{c}"
        write_config(root, model, "cpu", "remote", server.url)
        add_sounds(root, f"{name}{c}", total // clients, seconds)
        roots.append(root)
    env = {**os.environ, "SFX_PIPELINE_TOKEN": TOKEN}
    sampler = Sampler(server)
    sampler.start()
    started = time.perf_counter()
    builds = [subprocess.Popen([*cli(), "build", "--json", "--project", str(r)], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env={**env, "SFX_PIPELINE_CACHE": str(r / "cache")})
              for r in roots]
    docs = [json.loads(b.communicate()[0]) for b in builds]
    wall = time.perf_counter() - started
    in_flight, busy = sampler.stop()
    generated = sum(d["counts"]["generated"] for d in docs)
    return {"scenario": f"{clients} client{'s' if clients > 1 else ''} x {total // clients}", "sounds": generated,
            "wall_s": wall, "audio_s_per_s": generated * seconds / wall, "busy_s": busy,
            "mean_in_flight": statistics.mean(in_flight), "max_in_flight": max(in_flight)}


def warm_latency(work: Path, url: str, model: Path, device: str, backend: str, repeats: int, seconds: float) -> list:
    """Seconds from a new descriptor to its installed WAV in one long-lived process (as `watch`)."""
    from sfx_pipeline.build import Options, build
    from sfx_pipeline.project import Project
    from sfx_pipeline.report import QuietReporter

    root = work / f"warm-{backend}"
    write_config(root, model, device, backend, url)
    os.environ["SFX_PIPELINE_CACHE"] = str(root / "cache")
    os.environ["SFX_PIPELINE_TOKEN"] = TOKEN
    project = Project(root, QuietReporter())
    add_sounds(root, f"warmup{backend}", 1, seconds)
    build(project, Options())  # loads the model (locally) or asks the server what it serves
    times = []
    for i in range(repeats):
        add_sounds(root, f"one{backend}{i}", 1, seconds)
        started = time.perf_counter()
        report = build(project, Options())
        times.append(time.perf_counter() - started)
        assert report.count("generated") == 1, report.results
    return times


def cold_build(work: Path, url: str, model: Path, device: str, backend: str, seconds: float) -> float:
    root = work / f"cold-{backend}"
    write_config(root, model, device, backend, url)
    add_sounds(root, f"cold{backend}", 1, seconds)
    env = {**os.environ, "SFX_PIPELINE_TOKEN": TOKEN, "SFX_PIPELINE_CACHE": str(root / "cache")}
    started = time.perf_counter()
    subprocess.run([*cli(), "build", "--project", str(root)], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--size", choices=("tiny", "medium"), default="tiny")
    parser.add_argument("--sounds", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=1.0, help="length of each sound")
    parser.add_argument("--slots", type=int, default=8, help="sounds the server decodes at once")
    parser.add_argument("--repeats", type=int, default=5, help="latency samples each way")
    parser.add_argument("--port", type=int, default=8759)
    args = parser.parse_args()

    from support import random_checkpoint

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        size = random_checkpoint.Size.tiny() if args.size == "tiny" else random_checkpoint.Size.medium()
        model = random_checkpoint.write(work / "model", size, half=args.size == "medium")
        server = Server(work, model, args.device, args.slots, args.port)
        try:
            rows = [throughput(work, server, model, 1, args.sounds, args.seconds, "one"),
                    throughput(work, server, model, 2, args.sounds, args.seconds, "two")]
            remote = warm_latency(work, server.url, model, args.device, "remote", args.repeats, args.seconds)
            cold_remote = cold_build(work, server.url, model, args.device, "remote", args.seconds)
        finally:
            server.stop()
        local = warm_latency(work, "", model, args.device, "audiogen", args.repeats, args.seconds)
        cold_local = cold_build(work, "", model, args.device, "audiogen", args.seconds)

    print(f"\n{args.size} checkpoint on {args.device}, {args.slots} slots, {args.seconds:g} s sounds, "
          f"{time.strftime('%Y-%m-%d')}")
    print(f"\n{'scenario':<14} {'sounds':>6} {'wall s':>7} {'audio s/s':>9} {'decoder busy s':>14} "
          f"{'mean in flight':>14} {'max':>4}")
    for r in rows:
        print(f"{r['scenario']:<14} {r['sounds']:>6} {r['wall_s']:>7.1f} {r['audio_s_per_s']:>9.2f} "
              f"{r['busy_s']:>14.1f} {r['mean_in_flight']:>14.1f} {r['max_in_flight']:>4.0f}")
    print("wall: from starting the builds to both finished (process start, planning, rendering included); "
          "decoder busy: first to last moment a sound was in a slot")
    print(f"\n{'one new sound':<44} {'median s':>9} {'min s':>7}")
    for label, times in (("warm process, through the server", remote), ("warm process, model loaded here", local)):
        print(f"{label:<44} {statistics.median(times):>9.2f} {min(times):>7.2f}")
    print(f"{'cold `sfx-pipeline build`, through the server':<44} {cold_remote:>9.2f}")
    print(f"{'cold `sfx-pipeline build`, loading the model':<44} {cold_local:>9.2f}")


if __name__ == "__main__":
    main()

"""The torture suite: hostile and broken input, drawn by hypothesis, against a built project.

After every case: no traceback or hang, nothing outside the project and cache touched, no
file sfx-pipeline does not own changed, every WAV written whole, the valid descriptors
built, and, once the user's own files are restored, one build brings `status` to 0.

A bounded run (a few examples per family, under 3 minutes) is part of every `pytest`.
The whole suite: `SFX_TORTURE=full python -m pytest tests/torture` (add kill -9 trials
with more examples; `SFX_TORTURE_EXAMPLES=N` sets the examples per family).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import corpus
import pytest
import world as w
from hypothesis import HealthCheck, given, settings

FULL = os.environ.get("SFX_TORTURE") == "full"
EXAMPLES = int(os.environ.get("SFX_TORTURE_EXAMPLES", 300 if FULL else 25))
KILLS = 60 if FULL else 3

settings.register_profile("torture", max_examples=EXAMPLES, deadline=None, derandomize=not FULL, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def built() -> w.World:
    world = w.template()
    yield world
    w.discard(world)


@pytest.mark.parametrize("family", sorted(corpus.ALL))
def test_hostile_input_keeps_every_invariant(built: w.World, family: str) -> None:
    @settings(settings.get_profile("torture"))
    @given(case=corpus.ALL[family])
    def trial(case: corpus.Case) -> None:
        world = w.copy_of(built)
        try:
            # A copy has new inodes: one `status` leaves a snapshot of it, so the command after
            # the damage meets one, as a user's does. Where only descriptors changed, it then
            # plans and builds just those (cli/delta.py, cli/delta_build.py) or declines.
            w.run(world, "status")
            case.damage(world)
            was = w.before(world)
            ran = w.run(world, *case.command)
            w.check(world, was, ran, case.command, case.config_broken)
            w.converge(world, built)
        finally:
            w.discard(world)

    trial()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kill -9 is POSIX")
@pytest.mark.parametrize("trial", range(KILLS))
def test_kill_9_at_a_random_moment(built: w.World, trial: int) -> None:
    rng = random.Random(trial)
    world = w.copy_of(built)
    try:
        for i in range(12):  # new sounds, and an edit that re-renders the old ones
            (world.root / f"sfx/new_{i}.sfx.toml").write_text(f'prompt = "rain {i}"\nduration = 2.0\n')
        config = world.root / "sfx-pipeline.toml"
        config.write_text(config.read_text() + "\n[defaults.output]\nfade_out = 0.1\n")
        env = {**os.environ, "SFX_PIPELINE_CACHE": str(world.cache)}
        proc = subprocess.Popen([sys.executable, "-m", "sfx_pipeline", "build", "--project", str(world.root)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        was = w.before(world)
        for rel, entry in was.outputs.items():
            if entry[0] == "file" and rel.endswith(".wav"):
                w.decode(entry[1])  # whole, whatever the moment
        ran = w.run(world, "build")
        assert ran.code == 0, ran.out + ran.err
        assert w.run(world, "status").code == 0
        state = world.root / ".sfx-pipeline"
        leftovers = [p for p in world.root.rglob(".*.tmp") if p.parent != state]
        assert not leftovers, leftovers
        # A temp of a state write the kill cut short stays until it is older than any live
        # write could be (a `status` writes its memos without the build lock); then the next
        # build that runs (not a replayed no-op) removes it. Aged here rather than waited for.
        for temp in state.glob(".*.tmp"):
            os.utime(temp, (time.time() - 3600, time.time() - 3600))
        (state / "noop.json").unlink(missing_ok=True)
        assert w.run(world, "build").code == 0
        assert not list(state.glob(".*.tmp"))
    finally:
        w.discard(world)


@pytest.mark.skipif(not FULL or os.name == "nt", reason="file size limits: the full suite, POSIX only")
@pytest.mark.parametrize("limit_kib", [8, 64, 200])
def test_a_file_size_limit_fails_per_file_and_heals(built: w.World, limit_kib: int) -> None:
    world = w.copy_of(built)
    try:
        for i in range(6):
            (world.root / f"sfx/long_{i}.sfx.toml").write_text(f'prompt = "wind {i}"\nduration = {1 + i}.0\n')
        limit = f"import resource; resource.setrlimit(resource.RLIMIT_FSIZE, ({limit_kib * 1024},) * 2); "
        env = {**os.environ, "SFX_PIPELINE_CACHE": str(world.cache)}
        was = w.before(world)
        proc = subprocess.run([sys.executable, "-c", limit + "from sfx_pipeline.cli import main; "
                               "raise SystemExit(main())", "build", "--project", str(world.root)],
                              env=env, capture_output=True, text=True, timeout=300)
        w.check(world, was, w.Ran(proc.returncode, proc.stdout, proc.stderr), ("build",), False)
        assert w.run(world, "build").code == 0 and w.run(world, "status").code == 0
    finally:
        w.discard(world)


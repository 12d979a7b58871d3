"""Batch planning is pure: which assets share a generate call, in what order, with what seed."""

from __future__ import annotations

from sfx_pipeline.generators.audiogen.batching import frames_for, plan_batches
from sfx_pipeline.generators.base import Job
from sfx_pipeline.sound import GenerationParams, OutputParams, SoundSpec


def job(key: str, duration: float = 5.0, temperature: float = 1.0, top_k: int = 250) -> Job:
    spec = SoundSpec(
        name=key, descriptor=f"sfx/{key}.sfx.toml", entry="", prompt=f"prompt {key}", duration=duration, seed=1,
        backend="audiogen", model="m", generation=GenerationParams(temperature, top_k, 0.0, 3.0),
        output=OutputParams(48000, 16, None, -1.0, 0.0, 0.0), output_path=f"audio/{key}.wav",
    )
    return Job(spec, key.rjust(32, "0"))


def test_frames_round_to_the_model_frame() -> None:
    assert frames_for(5.0) == 250
    assert frames_for(2.0) == 100  # not 101 from 2.0 * 50 = 100.00000000000001
    assert frames_for(2.01) == 101 and frames_for(2.019) == 101 and frames_for(2.02) == 101
    assert frames_for(0.5) == 25


def test_assets_share_a_batch_only_with_the_same_length_and_params() -> None:
    jobs = [job("a"), job("b"), job("c", duration=2.0), job("d", temperature=0.8), job("e", top_k=50),
            job("f", duration=5.01)]
    batches = plan_batches(jobs, max_size=8)
    members = sorted(sorted(j.spec.name for j in b.jobs) for b in batches)
    assert members == [["a", "b"], ["c"], ["d"], ["e"], ["f"]]


def test_durations_within_one_frame_share_a_batch() -> None:
    batches = plan_batches([job("a", duration=2.005), job("b", duration=2.02)], max_size=8)
    assert len(batches) == 1 and batches[0].params.frames == 101


def test_groups_split_evenly_under_the_limit() -> None:
    batches = plan_batches([job(str(i)) for i in range(10)], max_size=4)
    assert sorted(len(b.jobs) for b in batches) == [3, 3, 4]


def test_biggest_work_runs_first() -> None:
    jobs = [job("short", duration=1.0), job("long1", duration=10.0), job("long2", duration=10.0),
            job("mid", duration=5.0)]
    batches = plan_batches(jobs, max_size=8)
    assert [b.params.frames for b in batches] == [500, 250, 50]


def test_batches_and_seeds_do_not_depend_on_descriptor_order() -> None:
    jobs = [job(str(i)) for i in range(6)]
    forward = [(tuple(j.key for j in b.jobs), b.seed) for b in plan_batches(jobs, 4)]
    backward = [(tuple(j.key for j in b.jobs), b.seed) for b in plan_batches(list(reversed(jobs)), 4)]
    assert forward == backward


def test_seed_follows_the_members() -> None:
    (one,) = plan_batches([job("a"), job("b")], 8)
    (other,) = plan_batches([job("a"), job("c")], 8)
    assert one.seed != other.seed and 0 <= one.seed < 2**63
    left, right = one.halves()
    assert [j.spec.name for j in left.jobs] == ["a"] and [j.spec.name for j in right.jobs] == ["b"]
    assert len({one.seed, left.seed, right.seed}) == 3

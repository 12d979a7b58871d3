"""The planner is pure: these tests give it facts and read its reasons."""

from __future__ import annotations

import dataclasses

from sfx_pipeline.errors import Problem
from sfx_pipeline.generators.procedural.backend import ProceduralGenerator
from sfx_pipeline.keys import target
from sfx_pipeline.lock import Lock, LockEntry
from sfx_pipeline.plan import plan, render_questions, summary
from sfx_pipeline.sound import GenerationParams, OutputParams, SoundSpec, Target
from sfx_pipeline.untrusted import NOT_A_FILE

OUT = "audio/door.wav"
GOOD = "d" * 32  # digest of the file the lock recorded


def make(**changes: object) -> Target:
    base = SoundSpec(
        name="door", descriptor="sfx/door.sfx.toml", entry="", prompt="wooden door", duration=2.0, seed=5,
        backend="procedural", model="m", generation=GenerationParams(1.0, 250, 0.0, 3.0),
        output=OutputParams(48000, 16, None, -1.0, 0.0, 0.0), output_path=OUT,
    )
    return target(dataclasses.replace(base, **changes), ProceduralGenerator())


def entry_for(t: Target, digest: str = GOOD, **changes: object) -> LockEntry:
    entry = LockEntry(
        descriptor=t.spec.descriptor, entry="", name=t.spec.name, backend=t.backend, placeholder=True, model="",
        seed=t.spec.seed, generation_key=t.generation_key, render_key=t.render_key, output_digest=digest,
        generation=t.generation, render=t.render,
    )
    return dataclasses.replace(entry, **changes)


def never(output: str, key: str, digest: str) -> str | None:
    return None  # the file on disk is nothing sfx-pipeline recognises


def one(targets, lock_entries, disk, problems=(), matches=never, force=False):
    # `matches` answers the questions the planner lists, as the survey does from the cache and the WAV
    lock = Lock(dict(lock_entries))
    held = {output: matches(output, key, digest) for output, key, digest in render_questions(list(targets), lock, disk)}
    return plan(list(targets), list(problems), lock, disk, held, force)


def test_fresh_when_keys_and_output_match() -> None:
    t = make()
    (action,) = one([t], {OUT: entry_for(t)}, {OUT: GOOD})
    assert (action.status, action.reasons) == ("fresh", ())


def test_new_asset() -> None:
    (action,) = one([make()], {}, {OUT: None})
    assert (action.status, action.reasons) == ("stale", ("new asset",))


def test_each_change_is_named() -> None:
    old = make()
    cases = {
        "prompt changed": make(prompt="metal door"),
        "seed changed": make(seed=6),
        "duration changed": make(duration=3.0),
        "output settings changed (fade_out)": make(output=OutputParams(48000, 16, None, -1.0, 0.0, 0.5)),
        "output settings changed (bit_depth)": make(output=OutputParams(48000, 24, None, -1.0, 0.0, 0.0)),
    }
    for reason, new in cases.items():
        (action,) = one([new], {OUT: entry_for(old)}, {OUT: GOOD})
        assert action.status == "stale"
        assert reason in action.reasons, (reason, action.reasons)


def test_backend_change_is_one_reason_not_a_list_of_field_changes() -> None:
    old = make()
    entry = entry_for(old, backend="audiogen", generation={**old.generation, "backend": "audiogen", "frames": 100},
                      generation_key="a" * 32)
    (action,) = one([old], {OUT: entry}, {OUT: GOOD})
    assert action.reasons == ("backend changed (audiogen → procedural)",)


def test_params_changed_lists_the_unnamed_fields() -> None:
    old = make()
    entry = entry_for(old, generation={**old.generation, "temperature": 0.5, "top_k": 9}, generation_key="b" * 32)
    (action,) = one([old], {OUT: entry}, {OUT: GOOD})
    assert action.reasons == ("params changed (temperature, top_k)",)


def test_generator_version_bump_regenerates() -> None:
    old = make()
    entry = entry_for(old, generation={**old.generation, "algorithm": "0"}, generation_key="c" * 32)
    (action,) = one([old], {OUT: entry}, {OUT: GOOD})
    assert action.reasons == ("generator version changed",)


def test_missing_output() -> None:
    t = make()
    (action,) = one([t], {OUT: entry_for(t)}, {OUT: None})
    assert (action.status, action.reasons) == ("stale", ("output missing",))


def test_hand_edited_output_is_kept_unless_forced() -> None:
    t = make()
    (action,) = one([t], {OUT: entry_for(t)}, {OUT: "e" * 32})
    assert (action.status, action.reasons) == ("modified", ("output modified by hand",))
    (forced,) = one([t], {OUT: entry_for(t)}, {OUT: "e" * 32}, force=True)
    assert forced.status == "stale"


def test_hand_edited_and_changed_keeps_both_reasons() -> None:
    old = make()
    (action,) = one([make(seed=9)], {OUT: entry_for(old)}, {OUT: "e" * 32})
    assert action.status == "modified"
    assert action.reasons == ("seed changed", "output modified by hand")


def test_foreign_file_is_not_overwritten() -> None:
    (action,) = one([make()], {}, {OUT: "e" * 32})
    assert action.status == "modified"
    assert action.reasons == ("new asset", "output exists but was not written by sfx-pipeline")


def test_a_file_holding_exactly_the_wanted_render_is_fresh_even_if_the_lock_lags() -> None:
    # e.g. the build was killed after installing and before writing the lock
    old, new = make(), make(seed=6)
    matches = lambda output, key, digest: key if digest == "n" * 32 else None  # noqa: E731
    (action,) = one([new], {OUT: entry_for(old)}, {OUT: "n" * 32}, matches=matches)
    assert (action.status, action.reasons) == ("fresh", ())


def test_orphans_and_broken_descriptors() -> None:
    t = make()
    gone = entry_for(t, descriptor="sfx/gone.sfx.toml")
    broken = entry_for(t, descriptor="sfx/broken.sfx.toml")
    problem = Problem("sfx/broken.sfx.toml", "duration", "99 is out of range")
    actions = one([], {"audio/gone.wav": gone, "audio/broken.wav": broken}, {"audio/gone.wav": GOOD,
                  "audio/broken.wav": GOOD}, problems=[problem])
    by_status = {a.status: a for a in actions if a.output}
    assert by_status["orphan"].output == "audio/gone.wav"
    assert by_status["orphan"].reasons == ("no descriptor defines it any more (was sfx/gone.sfx.toml)",)
    assert by_status["error"].output == "audio/broken.wav"  # kept, never reported as an orphan
    assert summary(actions) == {"fresh": 0, "stale": 0, "pending": 0, "modified": 0, "orphan": 1, "error": 2}


def test_lock_paths_match_case_insensitively() -> None:
    # a lock written on Windows may spell the path with other case; it is the same file there
    t = make()
    (action,) = one([t], {"Audio/Door.wav": entry_for(t)}, {OUT: GOOD})
    assert action.status == "fresh"


def test_a_sound_whose_backend_cannot_run_here_is_pending_not_stale() -> None:
    old = make()
    # judged by the real model the lock names (see targets.py), which cannot run here
    new = dataclasses.replace(make(prompt="metal door"), backend="audiogen", placeholder=False,
                              unavailable="no CUDA GPU")
    made = entry_for(old, backend="audiogen", placeholder=False)
    (action,) = one([new], {OUT: made}, {OUT: GOOD})
    assert action.status == "pending"
    assert action.reasons == ("prompt changed",
                              "needs audiogen (no CUDA GPU): the audiogen sound is kept until a build runs where it loads")
    (hand_edited,) = one([new], {OUT: made}, {OUT: "e" * 32})
    assert hand_edited.status == "modified"  # a hand edit is the stronger reason to keep it
    (same,) = one([dataclasses.replace(new, generation_key=made.generation_key, render_key=made.render_key)],
                  {OUT: made}, {OUT: GOOD})
    assert (same.status, same.reasons) == ("fresh", ())  # unchanged: nothing is waiting for the model


def test_a_forced_hand_edit_of_a_sound_whose_backend_cannot_run_here_stays_pending() -> None:
    # --force replaces hand edits, but only a backend that runs can make the replacement
    t = dataclasses.replace(make(), backend="audiogen", placeholder=False, unavailable="no CUDA GPU")
    made = entry_for(t, backend="audiogen", placeholder=False)
    (action,) = one([t], {OUT: made}, {OUT: "e" * 32}, force=True)
    assert action.status == "pending"
    assert action.reasons == ("output modified by hand",
                              "needs audiogen (no CUDA GPU): the audiogen sound is kept until a build runs where it loads")


def test_the_render_question_is_asked_only_of_files_the_lock_does_not_explain() -> None:
    t = make()
    here, elsewhere = make(output_path="audio/here.wav"), make(output_path="audio/new.wav")
    lock = Lock({OUT: entry_for(t), "Audio/Here.wav": entry_for(here)})  # matched case-insensitively
    disk = {OUT: GOOD, "audio/here.wav": "e" * 32, "audio/new.wav": "f" * 32}
    assert render_questions([t, here, elsewhere], lock, disk) == [("audio/here.wav", here.render_key, "e" * 32),
                                                                  ("audio/new.wav", elsewhere.render_key, "f" * 32)]
    missing_or_not_a_file = {OUT: None, "audio/here.wav": NOT_A_FILE, "audio/new.wav": None}
    assert render_questions([t, here, elsewhere], lock, missing_or_not_a_file) == []


def test_an_untouched_output_of_an_earlier_build_is_replaced_not_kept() -> None:
    # e.g. the lock was deleted after the descriptor changed: the WAV still carries its
    # provenance and its audio is untouched, so rebuilding loses nothing
    t = make(seed=9)
    earlier = lambda output, key, digest: "0" * 32  # noqa: E731 - holds another render
    (action,) = one([t], {}, {OUT: "e" * 32}, matches=earlier)
    assert (action.status, action.reasons) == ("stale", ("output from an earlier build that the lock does not list",))



def test_an_output_of_ours_that_is_not_what_the_lock_records_for_its_path_is_kept() -> None:
    # a copy of another output, or an older render restored from git: provenance says we
    # made it, but only the digest the lock records for this path proves it is ours to replace
    t = make(seed=9)
    earlier = lambda output, key, digest: "0" * 32  # noqa: E731 - holds another render
    (listed,) = one([t], {OUT: entry_for(make())}, {OUT: "e" * 32}, matches=earlier)
    assert (listed.status, listed.reasons) == ("modified", ("seed changed", "output modified by hand"))
    (forced,) = one([t], {OUT: entry_for(make())}, {OUT: "e" * 32}, matches=earlier, force=True)
    assert forced.status == "stale"

"""A generate request → a build job, or a refusal that says what to fix. Pure.

The client sends a sound's generation fields and their key. The server rebuilds the fields
from its own AudioGen backend and requires them equal, and the key to be their digest: so
a key always names the audio this server makes from those fields, whatever a client sends,
and no request can store audio under another sound's key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sfx_pipeline import schema
from sfx_pipeline.generators.audiogen.batching import FRAME_RATE
from sfx_pipeline.generators.base import Job
from sfx_pipeline.hashing import key_of
from sfx_pipeline.keys import generation_fields
from sfx_pipeline.remote import wire
from sfx_pipeline.sound import GenerationParams, OutputParams, SoundSpec

MAX_PROMPT = 2000  # characters; AudioGen's T5 reads far fewer tokens than this
FIELDS = ("algorithm", "backend", "cfg_coef", "frame_rate", "frames", "model", "prompt", "seed", "temperature",
          "top_k", "top_p")
VERSION_FIX = "run the same sfx-pipeline version on the build machine and on the server"


@dataclass
class Refusal(Exception):
    status: int
    error: str
    fix: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, str]:
        return {"error": self.error, "fix": self.fix}


def job_from(body: Any, keyer: Any, max_seconds: float) -> Job:
    """`keyer`: this server's AudioGen backend (its name, version and key fields)."""
    if not isinstance(body, dict) or not isinstance(body.get("generation"), dict):
        raise Refusal(400, 'the body must be a JSON object {"key": ..., "generation": {...}}',
                      "send what the remote backend sends: a sound's generation fields and key")
    key, fields = body.get("key"), body["generation"]
    if not isinstance(key, str) or not wire.is_key(key):
        raise Refusal(400, "key must be 32 lowercase hex digits (a generation key)")
    wrong = sorted(set(fields) ^ set(FIELDS))
    if wrong:
        raise Refusal(400, f"generation has unknown or missing fields: {', '.join(wrong)}", VERSION_FIX)
    _check_values(fields, max_seconds)
    spec = spec_for(fields, keyer.model)
    expected = generation_fields(spec, keyer)
    differing = sorted(name for name in FIELDS if expected[name] != fields[name])
    if differing:
        name = differing[0]
        raise Refusal(409, f"{name} is {fields[name]!r} in the request but {expected[name]!r} on this server",
                      "plan again: the build keys sounds with what GET /v1/info says" if name in ("model", "algorithm")
                      else VERSION_FIX)
    if key_of(fields) != key:
        raise Refusal(400, "the key is not the digest of the generation fields", VERSION_FIX)
    return Job(spec, key)


def _check_values(fields: dict[str, Any], max_seconds: float) -> None:
    prompt, frames = fields["prompt"], fields["frames"]
    if not isinstance(prompt, str) or not prompt.strip() or len(prompt) > MAX_PROMPT:
        raise Refusal(400, f"prompt must be text of 1 to {MAX_PROMPT} characters")
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
        raise Refusal(400, "frames must be a positive integer")
    if frames / FRAME_RATE > max_seconds + 1e-9:
        raise Refusal(400, f"{frames / FRAME_RATE:g} s is longer than this server makes ({max_seconds:g} s at most)",
                      "shorten the sound, or start the server with a larger --max-seconds")
    checker = schema.Checker("request")
    checker.check({k: fields[k] for k in ("temperature", "top_k", "top_p", "cfg_coef")}, schema.GENERATION,
                  ["generation"])
    checker.check({"seed": fields["seed"]}, schema.SOUND, ["generation"])
    if checker.problems:
        problem = checker.problems[0]
        raise Refusal(400, f"{problem.key}: {problem.message}", problem.hint)


def spec_for(fields: dict[str, Any], model: str) -> SoundSpec:
    """A spec holding just what generation reads; the rest (name, output) never reaches the model."""
    return SoundSpec(
        name="remote", descriptor="", entry="", prompt=fields["prompt"], duration=fields["frames"] / FRAME_RATE,
        seed=fields["seed"], backend="audiogen", model=model,
        generation=GenerationParams(float(fields["temperature"]), int(fields["top_k"]), float(fields["top_p"]),
                                    float(fields["cfg_coef"])),
        output=OutputParams(48000, 16, None, -1.0, 0.0, 0.0), output_path="",
    )

"""What people read: status tables, build summaries, sizes. stdout for results, so they
can be piped; progress and messages went to stderr through the Reporter."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sfx_pipeline.plan import ERROR, FRESH, Action
from sfx_pipeline.report import QuietReporter, Reporter

if TYPE_CHECKING:
    from sfx_pipeline.build import Report, Result


def status(actions: list[Action], counts: dict[str, int], show_fresh: bool) -> None:
    for a in actions:
        if a.status == FRESH and not show_fresh:
            continue
        if a.status == ERROR and a.problem:
            print(f"{'error':9} {a.problem}")
            continue
        note = "; ".join(a.reasons)
        placeholder = " [placeholder]" if a.target and a.target.placeholder else ""
        print(f"{a.status:9} {a.output}{placeholder}" + (f"  ({note})" if note else ""))
    print(_counts_line(counts))


def _counts_line(counts: dict[str, int]) -> str:
    parts = [f"{n} {label}" for label, n in counts.items() if n]
    return ", ".join(parts) if parts else "no sound descriptors found (add *.sfx.toml files to the descriptor folders)"


def build(report: "Report", dry_run: bool) -> None:
    for r in report.results:
        if r.outcome == "fresh":
            continue
        print(_result_line(r))
    for problem in report.problems:
        print(f"{'error':10} {problem}")
    print(_build_summary(report, dry_run))


def _result_line(r: "Result") -> str:
    detail = "; ".join(r.reasons)
    if r.message:
        detail = f"{detail}: {r.message}" if detail else r.message
    placeholder = " [placeholder]" if r.placeholder else ""
    return f"{r.outcome:10} {r.output}{placeholder}" + (f"  ({detail})" if detail else "")


def _build_summary(report: "Report", dry_run: bool) -> str:
    c = report.counts()
    if dry_run:
        would = report.count("would build")
        return f"dry run: {would} to build, {c['fresh']} fresh, {c['kept']} kept, {c['errors']} errors; nothing written"
    parts = [f"{c['installed']} installed ({c['generated']} generated, {c['reused']} from cache)", f"{c['fresh']} fresh"]
    for key in ("kept", "pruned", "orphans", "failed", "errors"):
        if c[key]:
            parts.append(f"{c[key]} {key}")
    line = ", ".join(parts) + f" in {report.seconds:.2f} s"
    if report.audio_seconds and report.generate_seconds:
        line += f"; generated {report.audio_seconds:.1f} s of audio at {report.audio_seconds / report.generate_seconds:.1f}x real time"
    new_placeholders = sum(1 for r in report.results if r.placeholder and r.outcome in ("generated", "cached"))
    if new_placeholders:
        line += (f"\n{new_placeholders} of them are procedural placeholders ({c['placeholders']} in the project); "
                 "a build where AudioGen loads replaces them")
    return line


def build_json(report: "Report", reporter: Reporter) -> dict[str, object]:
    return {
        "counts": report.counts(),
        "seconds": round(report.seconds, 3),
        "audio_seconds_generated": round(report.audio_seconds, 3),
        "assets": [r.to_json() for r in report.results],
        "problems": [p.to_json() for p in report.problems],
        "messages": reporter.lines if isinstance(reporter, QuietReporter) else [],
        "exit_code": report.exit_code,
    }


_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def parse_size(text: str) -> int:
    from sfx_pipeline.errors import UserError

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", text.upper())
    if not match:
        raise UserError(f"--max-size {text!r} is not a size", "write it like 500M or 2G")
    return int(float(match.group(1)) * _UNITS[match.group(2)])

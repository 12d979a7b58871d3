"""What people read: status tables, build summaries, sizes, as lines of text. The Output
prints them (stdout) or, under --json, prints the document instead."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterator

from sfx_pipeline.cli.output import Important
from sfx_pipeline.plan import Action
from sfx_pipeline.report import QuietReporter, Reporter
from sfx_pipeline.states import Outcome, Status

if TYPE_CHECKING:
    from sfx_pipeline.build import Report, Result
    from sfx_pipeline.errors import Problem

Paint = Callable[[str, str], str]


_IMPORTANT = {Status.ERROR, Status.ORPHAN, Status.MODIFIED, Outcome.FAILED, Outcome.KEPT}


def _mark(text: str, status: str) -> str:
    return Important(text) if status in _IMPORTANT else text


def _plain(text: str, style: str) -> str:
    return text


def plural(n: int, one: str, many: str = "") -> str:
    """'1 error', '2 errors'."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def status(actions: list[Action], show_fresh: bool, paint: Paint = _plain) -> Iterator[str]:
    for a in actions:
        if a.status != Status.FRESH or show_fresh:
            yield status_line(a, paint)


def status_line(a: Action, paint: Paint = _plain) -> str:
    if a.status == Status.ERROR and a.problem:
        return Important(f"{paint(f'{Status.ERROR:9}', Status.ERROR)} {a.problem}")
    note = "; ".join(a.reasons)
    placeholder = " [placeholder]" if a.target and a.target.placeholder else ""
    return _mark(f"{paint(f'{a.status:9}', a.status)} {a.output}{placeholder}" + (f"  ({note})" if note else ""),
                 a.status)


_STATUS_WORDS = {"fresh": ("fresh", "fresh"), "stale": ("stale", "stale"), "pending": ("pending", "pending"),
                 "modified": ("modified", "modified"), "orphan": ("orphan", "orphans"), "error": ("error", "errors")}


def counts_line(counts: dict[str, int]) -> str:
    parts = [plural(n, *_STATUS_WORDS.get(label, (label, label))) for label, n in counts.items() if n]
    return ", ".join(parts) if parts else "no sound descriptors found (add *.sfx.toml files to the descriptor folders)"


def build(report: Report, dry_run: bool, paint: Paint = _plain, verbose: bool = False) -> Iterator[str]:
    yield from build_lines(report, paint, verbose)
    yield build_summary(report, dry_run)


def build_lines(report: Report, paint: Paint = _plain, verbose: bool = False) -> Iterator[str]:
    """What a build prints before its summary."""
    for r in report.results:
        if r.outcome == Outcome.FRESH and not verbose:
            continue
        yield _mark(result_line(r, paint), r.outcome)
    for problem in report.problems:
        yield problem_line(problem, paint)


def problem_line(problem: Problem, paint: Paint = _plain) -> str:
    """A problem in a build's list."""
    return Important(f"{paint(f'{Status.ERROR:10}', Status.ERROR)} {problem}")


def result_line(r: Result, paint: Paint = _plain) -> str:
    detail = "; ".join(r.reasons)
    if r.message:
        detail = f"{detail}: {r.message}" if detail else r.message
    placeholder = " [placeholder]" if r.placeholder else ""
    return f"{paint(f'{r.outcome:10}', r.outcome)} {r.output}{placeholder}" + (f"  ({detail})" if detail else "")


SECONDS = " in %.2f s"  # how long a build took, after its counts


def build_summary(report: Report, dry_run: bool) -> str:
    head = build_summary_head(report, dry_run)
    return head if dry_run else head + SECONDS % report.seconds + _generated(report)


def build_summary_head(report: Report, dry_run: bool) -> str:
    """The summary up to the time it took: what a replayed no-op build prints before its own time."""
    return summary_head(report.counts(), report.count(Outcome.WOULD_BUILD), dry_run)


def summary_head(c: dict[str, int], would: int, dry_run: bool) -> str:
    """`build_summary_head` from a report's counts and its number of sounds it would build."""
    if dry_run:
        return (f"dry run: {would} to build, {c['fresh']} fresh, {c['kept']} kept, "
                f"{plural(c['errors'], 'error')}; nothing written")
    parts = [f"{c['installed']} installed ({c['generated']} generated, {c['reused']} from cache)", f"{c['fresh']} fresh"]
    words = {"kept": ("kept", "kept"), "pruned": ("pruned", "pruned"), "orphans": ("orphan", "orphans"),
             "failed": ("failed", "failed"), "errors": ("error", "errors")}
    for key, (one, many) in words.items():
        if c[key]:
            parts.append(plural(c[key], one, many))
    return ", ".join(parts)


def _generated(report: Report) -> str:
    """What the build generated: never anything in a no-op."""
    c = report.counts()
    line = ""
    if report.audio_seconds and report.generate_seconds:
        line += (f"; generated {report.audio_seconds:.1f} s of audio at "
                 f"{report.audio_seconds / report.generate_seconds:.1f}x real time")
    new = new_placeholders(report)
    if new:
        these = "it is a procedural placeholder" if new == 1 else f"{new} of them are procedural placeholders"
        line += (f"\n{these} ({c['placeholders']} in the project); "
                 "a build where AudioGen loads replaces them")
    return line


_PRODUCED = (Outcome.GENERATED, Outcome.CACHED, Outcome.WOULD_BUILD)


def new_placeholders(report: Report) -> int:
    return sum(1 for r in report.results if r.placeholder and r.outcome in _PRODUCED)


def produced(report: Report) -> bool:
    """Did the build make (or would it make) any sound? Only then is the backend worth a word."""
    return any(r.outcome in _PRODUCED for r in report.results)


def build_json(report: Report, reporter: Reporter) -> dict[str, object]:
    assert not report.untold_fresh, "a JSON report lists every asset"
    return {
        "counts": report.counts(),
        "seconds": round(report.seconds, 3),
        "audio_seconds_generated": round(report.audio_seconds, 3),
        "assets": [r.to_json() for r in report.results],
        "problems": [p.to_json() for p in report.problems],
        "messages": reporter.lines if isinstance(reporter, QuietReporter) else [],
        "exit_code": report.exit_code,
    }



def size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)

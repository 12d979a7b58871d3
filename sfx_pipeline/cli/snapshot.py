"""Record what a plan was made from and what each command would print, for `noop.py` to replay.

The CLI hands `record` to the project it opens (`Project.recorder`), which calls it after
every plan: the planner knows nothing of the CLI, its output or this file. Nothing is
recorded when the plan rests on something a stat cannot vouch for: a file that changed
while it was read, a racy file whose bytes the plan did not keep the digest of, a model
identity asked of the network, a GPU probe. The next run then plans in full, as it would
without a snapshot.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from sfx_pipeline import journal
from sfx_pipeline.atomic import write_atomic
from sfx_pipeline.build import GONE, Builder, Options, Report, Result, counts_of, has_work
from sfx_pipeline.cli import noop, render
from sfx_pipeline.cli.exits import for_counts
from sfx_pipeline.errors import Problem
from sfx_pipeline.links import is_link_at
from sfx_pipeline.names import CONFIG_NAME, LOCK_NAME
from sfx_pipeline.observed import Stat, kind_of, package_at, stat_of
from sfx_pipeline.plan import Action, summary_of
from sfx_pipeline.project import Survey
from sfx_pipeline.state import make_state_dir
from sfx_pipeline.states import Outcome, Status

if TYPE_CHECKING:
    from sfx_pipeline.descriptor import Parsed
    from sfx_pipeline.lock import Lock
    from sfx_pipeline.project import Project


class Unsure(Exception):
    """The plan rests on something a stat cannot vouch for: record nothing."""


def record(project: Project, survey: Survey, parsed: Parsed, lock_stat: Stat | None, started_ns: int) -> None:
    """Write the snapshot of this plan; remove the old one when this one cannot be trusted.

    A snapshot only saves time: a folder that cannot be written (a read-only checkout)
    means planning in full every time, never a failed command."""
    path = project.config.state_dir / noop.SNAPSHOT
    try:
        inputs = _inputs(project, parsed, survey.lock, lock_stat, started_ns)
    except Unsure:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass
        return
    core, details = _outputs(project, survey)
    core.update(inputs, format=noop.FORMAT, root=str(project.root), context=noop.context(),
                # what delta.py needs to patch this plan: the backends it made (and what
                # `auto` chose, which a build's note names), and the outputs among `files`
                # that the lock does not list
                loaded=sorted([name, model] for name, model in project.generators.loaded_names()),
                auto=sorted([model, name] for model, name in project.generators.auto_choices().items()),
                auto_note=project.generators.auto_note(),  # what a build that makes sounds says of them
                unlocked=sorted(set(inputs["files"]) - set(survey.lock.assets)), made="plan")
    write(project.config.state_dir, core, details)


def write(state_dir: Path, core: dict[str, Any], details: dict[str, Any]) -> None:
    """Write a snapshot: its details first, then the core that names them (by a new id).
    Never through a state folder replaced by a link (the memos refuse it too)."""
    core["details"] = details["id"] = f"{time.time_ns()}-{os.getpid()}"
    if is_link_at(state_dir):
        return
    try:
        make_state_dir(state_dir)
        write_atomic(state_dir / noop.DETAILS, json.dumps(details).encode(), durable=False)
        write_atomic(state_dir / noop.SNAPSHOT, json.dumps(core).encode(), durable=False)
    except OSError:
        pass


# what the plan was made from -------------------------------------------------------------


def _inputs(project: Project, parsed: Parsed, lock: Lock, lock_stat: Stat | None,
            started_ns: int) -> dict[str, Any]:
    config = project.config
    if project.state_warned:
        raise Unsure("the plan said something (the state folder cannot be written)")
    racy_after = started_ns - noop.RACY_NS
    files: dict[str, Stat | None] = {}
    racy: dict[str, str] = {}

    def add(key: str, stat: Stat | None, content_digest: str | None) -> None:
        files[key] = stat
        if stat is not None and stat[1] >= racy_after:
            if not content_digest:
                raise Unsure(key)
            racy[key] = content_digest

    add(CONFIG_NAME, project.config_stat, config.source_digest)
    # The bytes the lock was read from, unless a killed build's journal was folded in or a
    # path respelled since: then the plan's lock is not those bytes (a racy check only)
    add(LOCK_NAME, lock_stat, "" if lock.rewrite else lock.source_digest)
    for output, seen in project.digests.observed.items():
        add(output, seen[0] if seen else None, seen[1] if seen else None)
    elsewhere: dict[str, Stat | None] = {}  # absolute paths outside the project
    watched, packages, probe = _environment(project)
    for path in [*project.consulted, *watched]:
        stat = elsewhere[path] = stat_of(path)
        if stat is not None and stat[1] >= racy_after:
            raise Unsure(path)  # a cache entry or model file being written: nothing to hash
    # A killed build's journal is folded into the lock the plan used: its coming, going or
    # growing changes the plan. Stat'ed before it was read, as every input is.
    journal_path = str(config.state_dir / journal.NAME)
    elsewhere[journal_path] = project.journal_stat
    if project.journal_stat is not None and project.journal_stat[1] >= racy_after:
        raise Unsure(journal_path)
    descriptors = {}
    for shown, st in parsed.stats.items():
        descriptors[shown] = [st.st_size, st.st_mtime_ns, st.st_ino]
        if st.st_mtime_ns >= racy_after:
            if shown not in parsed.digests:
                raise Unsure(shown)
            racy[shown] = parsed.digests[shown]
    if len(descriptors) != parsed.found:
        raise Unsure("a descriptor vanished while it was read")
    for stat in probe["facts"]["stat"] if probe else []:
        if stat is not None and stat[1] >= racy_after:
            raise Unsure("a file the GPU's answer rests on was just written")
    return {"clock": started_ns, "files": files, "elsewhere": elsewhere, "racy": racy, "packages": packages,
            "probe": probe,
            "kinds": {m: kind_of(os.path.join(config.root, m)) for m in noop.ENGINE_MARKERS},
            "descriptor_dirs": list(config.descriptor_dirs), "descriptors": descriptors}


def _environment(project: Project) -> tuple[list[str], dict[str, str | None], dict[str, Any] | None]:
    """The files, packages and GPU answer the backend choice and the model's identity rest on.

    `auto` looks for AudioGen's packages and weights, then (weights found, device not "cpu")
    asks torch for a GPU: that answer is kept with what it depends on (`gpu.py`), and a
    replay checks those instead of importing torch."""
    generators = project.generators
    device = project.config.generator.get("device", "auto")
    auto = generators.auto_choices()
    if any(name == "remote" for name, _ in generators.loaded_names()):
        raise Unsure("a server named the model")
    if auto and project.config.generator.get("url"):
        raise Unsure("auto asked a server whether it answers")
    if project.consulted and project.config.shared_cache.get("remote"):
        raise Unsure("the shared cache may have been asked")
    explicit = {model for (name, model) in generators.loaded_names() if name == "audiogen"} - set(auto)
    if not auto and not explicit:
        return [], {}, None
    from sfx_pipeline.generators.audiogen import availability

    if any(availability.find_weights(model) is None for model in explicit):
        raise Unsure("a model's identity came from the hub")
    watched = [path for model in sorted(set(auto) | explicit) for path in _weight_paths(availability, model)]
    packages = {name: package_at(name) for name in availability.PACKAGES}
    probe = None
    if device != "cpu" and not availability.missing_packages():
        asked = [model for model in auto if availability.find_weights(model) is not None]
        if asked:
            probe = _gpu_answer([auto[model] == "audiogen" for model in asked])
    return watched, packages, probe


def _gpu_answer(used: list[bool]) -> dict[str, Any]:
    """What torch said of the GPU when the plan asked (whether each model whose weights were
    found got AudioGen is `used`), and what that answer depends on."""
    from sfx_pipeline.generators.audiogen import gpu

    probe = gpu.last_probe()
    if probe is None or probe.watch is None or probe.facts is None:
        raise Unsure(f"the GPU was probed ({probe.why if probe else 'elsewhere'})")
    if any(chose != probe.available for chose in used):
        raise Unsure("torch's answer changed while planning")
    return {"watch": probe.watch, "facts": probe.facts, "cuda": probe.available}


def _weight_paths(availability: Any, model: str) -> list[str]:
    """Where the weights are looked for: a download or a deletion changes one of these stats."""
    if availability.is_local(model):
        folder = os.path.abspath(os.path.expanduser(model))
        return [folder, os.path.join(folder, availability.LM_FILE), os.path.join(folder, availability.COMPRESSION_FILE)]
    if importlib.util.find_spec("huggingface_hub") is None:
        return []  # no hub client, no AudioGen: installing the audiogen extra changes the packages recorded
    from huggingface_hub import constants

    repo = os.path.join(availability.hub_cache_dir() or constants.HF_HUB_CACHE, "models--" + model.replace("/", "--"))
    paths = [repo, os.path.join(repo, "refs"), os.path.join(repo, "refs", "main"), os.path.join(repo, "snapshots")]
    try:
        with open(os.path.join(repo, "refs", "main"), encoding="utf-8") as stream:
            revision = stream.read().strip()
    except OSError:
        return paths
    snapshot = os.path.join(repo, "snapshots", revision)
    return paths + [snapshot, os.path.join(snapshot, availability.LM_FILE),
                    os.path.join(snapshot, availability.COMPRESSION_FILE)]


# what each command prints ------------------------------------------------------------------


def _outputs(project: Project, survey: Survey) -> tuple[dict[str, Any], dict[str, Any]]:
    """The text, plain (a replay declines where colour is wanted), and the JSON documents of
    `status`, `build --dry-run` and, when it would change nothing, `build`.

    A fresh asset, which most are, is kept once as a row of five fields (see noop.fresh_status),
    and each command's list holds that row's index where the asset's document or line goes.
    So a plan of 5,000 fresh sounds renders and writes 5,000 short rows, not 20,000 documents
    and lines, and the full path that declined replays pays for what is not fresh."""
    details: dict[str, Any] = {"fresh": [], "problems": [p.to_json() for p in survey.problems]}
    details.update(items(project, survey, details["fresh"]))
    return summaries(details), details


def items(project: Project, survey: Survey, fresh: list[list[Any]]) -> dict[str, Any]:
    """Each action's item in every list the details keep (`status`, `status_lines`, `dry_run`,
    `build`: None when a build would change something), and `owners`: the descriptor each
    came from ("" for an orphan or an error). New fresh rows are added to `fresh`.

    The lists run parallel to the actions, so a later run can swap one descriptor's items
    for new ones (delta.py); where they do not, `owners` is None and it never tries."""
    actions = survey.actions
    rows: list[int | None] = []  # each action's row in `fresh`
    for a in actions:
        t = a.target
        if a.status == Status.FRESH and t is not None and not a.reasons and a.problem is None:
            rows.append(len(fresh))
            fresh.append([a.output, t.spec.name, t.spec.descriptor, t.backend, t.placeholder])
        else:
            rows.append(None)
    made: dict[str, Any] = {
        "owners": [a.target.spec.descriptor if a.target else "" for a in actions],
        "status": _compacted(actions, rows, fresh, Action.to_json, noop.fresh_status),
        "status_lines": _compacted(actions, rows, fresh, lambda a: str(render.status_line(a)), noop.fresh_line)}
    # What build prints, from the Builder itself: a dry run has no side effect, and what a
    # build that would change nothing reports is told without running it.
    where = {fresh[i][0]: i for i in rows if i is not None}
    made["dry_run"] = _results(Builder(project, survey, Options(dry_run=True)).run(), fresh, where)
    made["build"] = _settled(project, survey, fresh, where)
    if any(made[key] is not None and len(made[key]) != len(actions) for key in ("dry_run", "build")):
        made["owners"] = None  # a result for each action is what a dry run and a no-op give today
    return made


def _settled(project: Project, survey: Survey, fresh: list[list[Any]], where: dict[str, int]) -> list[Any] | None:
    """What a build reports of each action that it would write nothing for, told without
    running it; None in place of each action it would (build.has_work), so a later run
    that plans those again (delta_build.py) knows the rest. None for all when the lock
    itself is to be rewritten."""
    if survey.lock.rewrite:
        return None
    work = [has_work(a) for a in survey.actions]
    rest = Survey([a for a, busy in zip(survey.actions, work) if not busy], survey.lock, survey.problems)
    report = Builder(project, rest, Options()).report_unchanged()
    if report is None:
        return None
    if len(report.results) != len(rest.actions):  # an error has no result: not one per action
        return None if any(work) else _results(report, fresh, where)  # (then `items` keeps no owners)
    results = iter(_results(report, fresh, where))
    return [None if busy else next(results) for busy in work]


def _results(report: Report, fresh: list[list[Any]], where: dict[str, int]) -> list[Any]:
    rows: list[int | None] = []  # the fresh row each result is made from, if any
    for r in report.results:
        i = where.get(r.output) if r.outcome == Outcome.FRESH and not r.reasons and not r.message else None
        if i is not None and (fresh[i][1], fresh[i][3], fresh[i][4]) != (r.name, r.backend, r.placeholder):
            i = None
        rows.append(i)
    return _compacted(report.results, rows, fresh, Result.to_json, noop.fresh_result)


def summaries(details: dict[str, Any]) -> dict[str, Any]:
    """What the snapshot's core keeps of each command, made from the details' lists alone
    (so a patched list gives the same summary as a plan of the whole project would):
    counts, exit status, the lines other than fresh ones, and the summary line."""
    fresh = details["fresh"]
    fresh_status = Status.FRESH.value  # (an enum member's value costs a lookup each time)
    statuses = [fresh_status if type(item) is int else item["status"] for item in details["status"]]
    counts = summary_of(statuses)
    lines = [line if type(line) is str else noop.fresh_line(fresh[line])
             for line, status in zip(details["status_lines"], statuses) if status != fresh_status]
    core: dict[str, Any] = {"status": {"counts": counts, "exit": int(for_counts(counts)),
                                       "summary": render.counts_line(counts), "lines": lines}}
    problems = [Problem(**p) for p in details["problems"]]
    left_behind = counts[Status.MODIFIED] + counts[Status.ORPHAN]  # what the Builder counts, dry or not
    build = details["build"]
    core["dry_run"] = _summary(details["dry_run"], fresh, problems, left_behind, "dry_run")
    core["build"] = None if build is None or None in build else _summary(build, fresh, problems, left_behind, "build")
    # the descriptors a build has work for: all of it theirs when none is an orphan's ("")
    owners = details["owners"] or []
    to_build = {owners[i] for i, item in enumerate(build or []) if item is None} if owners else {""}
    core["to_build"] = None if build is None or "" in to_build else sorted(to_build)
    return core


def _summary(results: list[Any], fresh: list[list[Any]], problems: list[Problem], left_behind: int,
             key: str) -> dict[str, Any]:
    dry_run = key == "dry_run"
    outcomes: Counter[str] = Counter()
    lines: list[str] = []
    rows = [item for item in results if type(item) is int]  # each a fresh result (noop.fresh_result)
    outcomes[Outcome.FRESH] = len(rows)
    placeholders = sum(1 for row in rows if fresh[row][4])
    for item in results:
        if type(item) is int:
            continue
        outcomes[item["outcome"]] += 1
        placeholders += bool(item["placeholder"]) and item["outcome"] not in GONE
        if item["outcome"] != Outcome.FRESH:
            lines.append(str(render.result_line(Result(**{**item, "reasons": tuple(item["reasons"])}))))
    lines += [str(render.problem_line(p)) for p in problems]
    counts = counts_of(outcomes, placeholders, len(problems))
    exit_code = Report(problems=problems, left_behind=left_behind).exit_code  # (no-ops and dry runs fail nothing)
    produced = sum(outcomes[outcome] for outcome in (Outcome.GENERATED, Outcome.CACHED, Outcome.WOULD_BUILD))
    return {"counts": counts, "exit": exit_code, "lines": lines,
            "head": render.summary_head(counts, outcomes[Outcome.WOULD_BUILD], dry_run),
            "tail": "" if dry_run else render.SECONDS,
            "produced": produced > 0}  # (render.produced: then the build names what `auto` chose)


T = TypeVar("T")


def _compacted(items: list[T], rows: list[int | None], fresh: list[list[Any]], full: Callable[[T], Any],
               template: Callable[[list[Any]], Any]) -> list[Any]:
    """Each item as the index of its fresh row, or as `full` renders it where it has none.
    The template is checked against `full` on the first row of each kind (placeholder or
    not: its one branch): should a document or line change shape and noop.py not follow,
    every item is kept whole, never replayed wrong."""
    checked: set[bool] = set()
    for item, i in zip(items, rows):
        if i is not None and fresh[i][4] not in checked:
            if template(fresh[i]) != full(item):
                return [full(item) for item in items]
            checked.add(fresh[i][4])
    return [full(item) if i is None else i for item, i in zip(items, rows)]

"""A `build` after a few descriptors changed, when the rest of the project has nothing to build.

delta.py plans the changed descriptors; build_part.py builds them and makes the whole
project's report, which this prints as any build's. An edit that changes no key is
answered as a dry run would be: the patched answer is the build's.
"""

from __future__ import annotations

from sfx_pipeline.build import changes_nothing
from sfx_pipeline.cli import build_part, delta, noop
from sfx_pipeline.cli.output import Output
from sfx_pipeline.project import paused_gc


def answer(what: noop.Changed) -> int | None:
    """Build the changed descriptors and print the whole project's report; None when the full
    path must run instead (decided before anything is written)."""
    out = Output(json_mode=bool(what.request.get("json")))
    try:
        with paused_gc():  # tens of thousands of rows, no cycles: see project.paused_gc
            part = delta.prepare(what, out.reporter)
            survey = delta.plan(part, delta.lock_part(part))
            if changes_nothing(survey):  # an edit that changes no key: the patched answer is the build's
                return noop.replay(what.root, delta.patch(part, survey, survey.lock), what.request, what.started)
    except (delta.Decline, *noop.DAMAGED):
        return None
    from sfx_pipeline.cli.app import run_guarded
    from sfx_pipeline.cli.commands.build import emit

    declined = False

    def body() -> int:
        nonlocal declined
        report = build_part.built(part, survey, every=out.json)
        if report is None:
            declined = True
            return 0
        return emit(part.project, report, False, out)

    code = run_guarded(out, body)
    return None if declined else code

"""`sfx-pipeline watch`: rebuild sounds as their descriptors are saved, until Ctrl-C.

Observe (observe.py: watchdog → `changes.classify`), debounce (debounce.py, pure) and act
(loop.py: one Project, one build per batch) are separate objects; session.py wires them.
The command line is cli/commands/watch.py. This module stays import-light: the CLI reads
its defaults on every start.
"""

from __future__ import annotations

DEFAULT_SETTLE = 0.1  # seconds: longer than the events of one save, short enough to feel instant
DEFAULT_POLL = 1.0  # watchdog's own default; each poll stats every file in the descriptor folders

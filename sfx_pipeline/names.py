"""File and folder names every part of sfx-pipeline agrees on.

No imports: the no-op fast path (`noop.py`) reads these before anything else is loaded.
"""

CONFIG_NAME = "sfx-pipeline.toml"
LOCK_NAME = "sfx-pipeline.lock"
STATE_DIR = ".sfx-pipeline"  # per-machine state; the leading dot keeps engines out
SUFFIX = ".sfx.toml"  # what makes a file a descriptor

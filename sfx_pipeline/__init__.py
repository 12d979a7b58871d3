"""sfx-pipeline: game sound effects from `*.sfx.toml` descriptors."""

__version__ = "0.1.0"

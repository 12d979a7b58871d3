"""Stand-ins for xformers and spacy, for benchmark harnesses only (never the product).

audiocraft imports both at module level. On the inference path it calls only
`xformers.ops.unbind` (attention goes through torch's scaled_dot_product_attention), and
spacy only for a tokenizer random-weight benchmark models do not have. A GPU machine that
cannot install them (no registry, wheels too big to carry) still runs the benchmarks: the
stand-ins go first on sys.path, and only for whichever module is really missing.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path

XFORMERS_OPS = '''"""Benchmark stand-in for xformers.ops: audiocraft's inference path calls only `unbind`
(its attention goes through torch's scaled_dot_product_attention by default)."""
import torch


def unbind(x, dim=0):
    return torch.unbind(x, dim=dim)


class LowerTriangularMask:  # audiocraft only asks whether a mask is given, with the torch backend
    pass


def memory_efficient_attention(*args, **kwargs):
    raise NotImplementedError("xformers stand-in: use audiocraft's torch attention backend")
'''
SPACY = '''"""Benchmark stand-in for spacy: imported by audiocraft, used only by a tokenizer the
benchmark models do not have."""
cli = None


def load(name):
    raise ImportError("spacy stand-in: no spacy models here")
'''


def install_stand_ins() -> list[str]:
    """Stand-ins for whichever of xformers and spacy is missing, in a temp dir first on sys.path."""
    missing = [name for name in ("xformers", "spacy") if importlib.util.find_spec(name) is None]
    if missing:
        folder = Path(tempfile.mkdtemp(prefix="sfx-bench-stand-ins-"))
        if "xformers" in missing:
            (folder / "xformers").mkdir()
            (folder / "xformers" / "__init__.py").write_text("")
            (folder / "xformers" / "ops.py").write_text(XFORMERS_OPS)
        if "spacy" in missing:
            (folder / "spacy.py").write_text(SPACY)
        sys.path.insert(0, str(folder))
        # Child processes (whole `sfx-pipeline build` runs) need them too.
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH")) if p)
    return missing

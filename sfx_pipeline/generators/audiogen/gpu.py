"""Does torch see a CUDA GPU here? The answer, and what it depends on, so that a later process
can tell from stats alone, without importing torch, that it would get the same answer.

`torch.cuda.is_available()` (torch/cuda/__init__.py) is False on a build without CUDA;
otherwise it asks the CUDA runtime for the device count (`cudaGetDeviceCount`, which
initialises the driver with `cuInit`; or NVML's count when PYTORCH_NVML_BASED_CUDA_CHECK=1).
So the answer rests on:

- which torch is installed, and what else in its environment (the nvidia-* wheels whose
  CUDA runtime it loads): its files, and the site-packages folder, whose entries change
  with every install or uninstall;
- CUDA_VISIBLE_DEVICES, which hides devices from the runtime (CUDA C++ Programming Guide,
  "CUDA Environment Variables"), and PYTORCH_NVML_BASED_CUDA_CHECK;
- the driver. Its user-mode part is libcuda.so on Linux and nvcuda.dll on Windows, its
  kernel-mode part must be the same version (NVIDIA's CUDA Compatibility guide).

What a stat walk can see of the driver differs by system, and where it cannot see enough,
`dependencies` says why and the plan is not recorded (the next run asks torch again):

- Linux: libcuda.so.1 is found by the dynamic loader through LD_LIBRARY_PATH, then
  /etc/ld.so.cache, then the default folders (ld.so(8)); installing or upgrading a driver
  runs ldconfig, which rewrites the cache. The loaded kernel module reports its version in
  /proc/driver/nvidia/version and has one folder per GPU under /proc/driver/nvidia/gpus
  (the driver README, "Using the /proc File System Interface"; MIG instances appear under
  /proc/driver/nvidia/capabilities), and the GPUs are reached through /dev/nvidia* (the
  README, "Installed Components"). Those names and that text are what is kept: a GPU
  added, removed or hidden, or another driver loaded, changes them. /proc files have no
  meaningful stat, so they are listed and read, never stat'ed.
- WSL 2: the driver is the Windows host's, mapped into /usr/lib/wsl/lib (NVIDIA's "CUDA on
  WSL User Guide") behind /dev/dxg; nothing there is known to change with the host's GPUs.
  Not recorded.
- Windows: nvcuda.dll is installed by the display driver into System32 and loaded by name
  (Microsoft's "Dynamic-link library search order": the program's folder, System32, the
  Windows folder, then PATH). With no nvcuda.dll anywhere there, a GPU cannot be seen, and
  the absence is what is kept. With one, whether a GPU is there can change with no file
  changing (an external GPU unplugged, a laptop's discrete GPU switched off): not recorded.
- macOS: PyTorch's macOS builds have no CUDA ("macOS Binaries dont support CUDA", pytorch.org
  Get Started), so the answer is False until another torch is installed.
- A ROCm build of torch answers through HIP and AMD's driver: not recorded.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sfx_pipeline.observed import observe, watch

if TYPE_CHECKING:
    from sfx_pipeline.observed import Facts, Watch

ENVIRONMENT = ("CUDA_VISIBLE_DEVICES", "PYTORCH_NVML_BASED_CUDA_CHECK")
LINUX_LIBRARY_FOLDERS = ("/lib64", "/usr/lib64", "/lib", "/usr/lib")  # ld.so's defaults after its cache
SYSTEM_ROOT = "/"  # where /dev, /proc and /etc are: tests lay a driver's files out under another root


@dataclass(frozen=True)
class Probe:
    available: bool
    watch: Watch | None  # what the answer depends on; None: nothing a stat walk can check
    facts: Facts | None  # that, observed just before torch was asked
    why: str = ""  # why `watch` is None


_last: Probe | None = None
_adopted: Probe | None = None  # an answer torch gave another process: see `adopt`


def adopt(available: bool, what: Watch, facts: Facts) -> None:
    """Take the answer torch gave the plan a snapshot records, with what it rests on (a
    one-shot command planning only the descriptors that changed does: cli/delta.py).
    `cuda_available` then gives it without importing torch, for as long as those facts hold."""
    global _adopted, _last
    _adopted = _last = Probe(available, what, facts)


def cuda_available() -> bool:
    """torch's answer, remembered with what it depends on (see `last_probe`)."""
    global _last
    if _adopted is not None and _adopted.watch is not None and observe(_adopted.watch) == _adopted.facts:
        _last = _adopted
        return _adopted.available
    import torch

    what, why = dependencies(torch)
    facts = observe(what) if what is not None else None  # before asking: a change while it is asked shows later
    available = bool(torch.cuda.is_available())
    _last = Probe(available, what, facts, why)
    return available


def last_probe() -> Probe | None:
    """The last answer this process got, or None when torch was never asked."""
    return _last


def dependencies(torch: Any, platform: str = "") -> tuple[Watch | None, str]:
    """What `torch.cuda.is_available()` depends on with this torch on this system (`platform`
    as sys.platform names it), or None and why no stat walk can vouch for it."""
    platform = platform or sys.platform
    package = os.path.dirname(os.path.abspath(torch.__file__))
    files = (os.path.join(package, "version.py"), os.path.join(package, "lib"), os.path.dirname(package))
    version = torch.version
    if getattr(version, "hip", None):
        return None, "a ROCm build of torch"
    if not getattr(version, "cuda", None):
        return watch(env=ENVIRONMENT, stat=files), ""  # no CUDA in this torch: False whatever the machine has
    if platform.startswith("linux"):
        return _linux(files, SYSTEM_ROOT)
    if platform == "win32":
        return _windows(files)
    return None, f"a CUDA build of torch on {platform}"


def _linux(files: tuple[str, ...], system: str) -> tuple[Watch | None, str]:
    def at(path: str) -> str:
        return os.path.join(system, path.lstrip("/"))

    if os.path.exists(at("/dev/dxg")):
        return None, "WSL, whose GPU driver is the Windows host's"
    library_path = [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d]
    return watch(env=(*ENVIRONMENT, "LD_LIBRARY_PATH"),
                 stat=(*files, at("/etc/ld.so.cache"), *library_path, *map(at, LINUX_LIBRARY_FOLDERS)),
                 listed=((at("/dev"), "nvidia"), (at("/proc/driver/nvidia"), "")),
                 read=(at("/proc/driver/nvidia/version"),)), ""


def _windows(files: tuple[str, ...]) -> tuple[Watch | None, str]:
    windows = os.environ.get("SystemRoot") or os.environ.get("windir") or r"C:\Windows"
    folders = [os.path.dirname(sys.executable), os.path.join(windows, "System32"), windows,
               *(d for d in os.environ.get("PATH", "").split(os.pathsep) if d)]
    candidates = [os.path.join(folder, "nvcuda.dll") for folder in folders]
    if any(os.path.exists(path) for path in candidates):
        return None, "an NVIDIA driver on Windows, where a GPU can come and go with no file changing"
    return watch(env=(*ENVIRONMENT, "PATH"), stat=(*files, *candidates)), ""

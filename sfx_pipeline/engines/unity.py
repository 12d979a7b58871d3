"""Unity: every asset has a `.meta` holding its GUID; scenes and prefabs point at the GUID.

For each new output (and each folder the build creates under it) the `.meta` is written
before the file appears, so Unity never mints a random GUID of its own. The GUID is
derived from the project-relative path: the same on every machine and every rebuild, so
two people building the same sound produce the same `.meta` and git sees no conflict.
An existing `.meta` is never rewritten: it may hold import settings someone chose.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

from sfx_pipeline.atomic import write_atomic
from sfx_pipeline.engines.base import Engine
from sfx_pipeline.sound import SoundSpec

# AudioImporter loadType / compressionFormat values as .meta files store them: the enums
# AudioClipLoadType and AudioCompressionFormat in Unity's scripting reference
# (docs.unity3d.com/ScriptReference/AudioClipLoadType.html, .../AudioCompressionFormat.html).
DECOMPRESS_ON_LOAD, COMPRESSED_IN_MEMORY, STREAMING = 0, 1, 2
PCM, VORBIS, ADPCM = 0, 1, 2
SHORT_SECONDS, LONG_SECONDS = 2.0, 8.0

_AUDIO_META = """\
fileFormatVersion: 2
guid: {guid}
AudioImporter:
  externalObjects: {{}}
  serializedVersion: 7
  defaultSettings:
    serializedVersion: 2
    loadType: {load_type}
    sampleRateSetting: 0
    sampleRateOverride: 44100
    compressionFormat: {compression}
    quality: 1
    conversionMode: 0
    preloadAudioData: {preload}
  platformSettingOverrides: {{}}
  forceToMono: 1
  normalize: 0
  loadInBackground: {background}
  ambisonic: 0
  3D: 1
  userData: written by sfx-pipeline; edit freely, it is never overwritten
  assetBundleName: 
  assetBundleVariant: 
"""

_FOLDER_META = """\
fileFormatVersion: 2
guid: {guid}
folderAsset: yes
DefaultImporter:
  externalObjects: {{}}
  userData: 
  assetBundleName: 
  assetBundleVariant: 
"""


def guid_for(relative: str) -> str:
    """A stable 32-hex-digit GUID for a project-relative path."""
    return hashlib.md5(f"sfx-pipeline:{relative}".encode()).hexdigest()


def audio_settings(spec: SoundSpec) -> dict[str, int]:
    """Short one-shots decompress on load (no CPU at play time); long ambiences and loops
    stream (no memory); the rest stay compressed in memory."""
    if spec.duration >= LONG_SECONDS or (spec.output.loop and spec.duration >= SHORT_SECONDS):
        return {"load_type": STREAMING, "compression": VORBIS, "preload": 0, "background": 1}
    if spec.duration < SHORT_SECONDS:
        return {"load_type": DECOMPRESS_ON_LOAD, "compression": ADPCM, "preload": 1, "background": 0}
    return {"load_type": COMPRESSED_IN_MEMORY, "compression": VORBIS, "preload": 1, "background": 0}


def audio_meta(relative: str, spec: SoundSpec) -> str:
    return _AUDIO_META.format(guid=guid_for(relative), **audio_settings(spec))


class Unity(Engine):
    name = "unity"
    sidecar_suffixes = (".meta",)

    def before_install(self, output: Path, spec: SoundSpec, relative: str) -> None:
        self._new_folders(output.parent, PurePosixPath(relative).parent)
        meta = output.with_name(output.name + ".meta")
        if not meta.exists():
            write_atomic(meta, audio_meta(relative, spec).encode("utf-8"))

    def _new_folders(self, folder: Path, relative: PurePosixPath) -> None:
        """Create missing folders top-down, each with its `.meta`, inside Assets/ only."""
        if folder.exists() or str(relative) in (".", ""):
            return
        self._new_folders(folder.parent, relative.parent)
        folder.mkdir()
        if relative.parts[0] == "Assets" and len(relative.parts) > 1:  # Assets itself has no .meta
            write_atomic(folder.with_name(folder.name + ".meta"), _FOLDER_META.format(guid=guid_for(str(relative))).encode())

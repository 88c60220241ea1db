"""Bitrate/resolution ladders: the fixed one every title gets, and a content-adaptive one.

A ladder is a list of :class:`~tradeoffs.labs.transcode.encode.Rung`, lowest first. The
fixed ladder (:data:`FIXED_LADDER`) gives every title the same rungs at the ``medium``
preset, whatever it shows. :func:`adaptive_ladder` reads a content analysis
(:mod:`.analysis`) and picks the preset and the bitrates per title:

- the rungs are the standard heights up to the source's (never upscale);
- each rung's bitrate is its base bitrate (:data:`BASE_KBPS`) times a complexity factor,
  ``probe_bits_per_pixel / REFERENCE_BPP`` clamped to [0.6, 1.6], rounded to the
  nearest multiple of 25 kbps (halves up);
- the preset is ``medium`` for detailed content whose motion a motion search can follow
  (``probe_bits_per_pixel >= 0.30`` and ``ti < 18``), else ``veryfast``: simple content
  needs no search effort, and noise or chaotic motion defeats it, so a slower preset
  costs CPU and buys little VMAF (the lesson measures both).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tradeoffs.labs.transcode.encode import Rung

__all__ = [
    "BASE_KBPS",
    "FIXED_LADDER",
    "HEIGHTS",
    "PREVIEW_RUNG",
    "REFERENCE_BPP",
    "adaptive_ladder",
    "fixed_ladder",
    "ladder_as_dicts",
]

HEIGHTS = (144, 240, 360, 480, 720, 1080)
BASE_KBPS: dict[int, float] = {144: 150, 240: 400, 360: 1000, 480: 1600, 720: 3000, 1080: 5000}
"""Base bitrate per rung height (kbps): a typical fixed H.264 ladder's."""

REFERENCE_BPP = 0.30
"""Probe bits per pixel of "average" content: the complexity factor is 1 there."""
DETAIL_BPP = 0.30
CHAOTIC_TI = 18.0
FACTOR_RANGE = (0.6, 1.6)

FIXED_LADDER = tuple(Rung(h, "medium", bitrate_kbps=BASE_KBPS[h]) for h in HEIGHTS)
"""One ladder for every title: the base bitrates at x264's default preset."""

PREVIEW_RUNG = Rung(144, "ultrafast", bitrate_kbps=200)
"""The preview tier: the lowest rung at the fastest preset, made before anything else."""


def fixed_ladder(source_height: int) -> list[Rung]:
    """The fixed ladder's rungs at or below ``source_height``."""
    rungs = [r for r in FIXED_LADDER if r.height <= source_height]
    if not rungs:
        raise ValueError(f"a {source_height}p source is below the lowest rung ({HEIGHTS[0]}p)")
    return rungs


def _round25(kbps: float) -> float:
    return float(math.floor(kbps / 25 + 0.5) * 25)


def adaptive_ladder(analysis: Mapping[str, Any]) -> list[Rung]:
    """The content-adaptive ladder for a title, from its analysis (a dict of numbers with
    at least ``height``, ``ti`` and ``probe_bits_per_pixel``)."""
    bpp = float(analysis["probe_bits_per_pixel"])
    ti = float(analysis["ti"])
    low, high = FACTOR_RANGE
    factor = min(high, max(low, bpp / REFERENCE_BPP))
    preset = "medium" if bpp >= DETAIL_BPP and ti < CHAOTIC_TI else "veryfast"
    return [
        Rung(r.height, preset, bitrate_kbps=_round25(BASE_KBPS[r.height] * factor))
        for r in fixed_ladder(int(analysis["height"]))
    ]


def ladder_as_dicts(ladder: list[Rung]) -> list[dict[str, Any]]:
    """A ladder as plain data: ``[{"height": 144, "preset": ..., "bitrate_kbps": ...}, ...]``."""
    return [r.as_dict() for r in ladder]

"""Fixtures of the graded exercise of unit 07: plain values in, plain values out.

The tests call the learner's functions with the plain data these return (analyses as
dicts of numbers, job queues and job logs as lists of dicts), and measure what the
learner chose with the lab's own encoder and VMAF (:func:`measure_ladder`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from tradeoffs.labs.transcode.analysis import analyse
from tradeoffs.labs.transcode.content import make_clip
from tradeoffs.labs.transcode.encode import encode, rung_from_dict
from tradeoffs.labs.transcode.ladder import adaptive_ladder, fixed_ladder, ladder_as_dicts
from tradeoffs.labs.transcode.quality import score

__all__ = [
    "FLOOR_CLIPS",
    "SEEDED_ANALYSES",
    "clip_analysis",
    "fixed_ladder_dicts",
    "job_log",
    "measure_ladder",
    "reference_ladder",
    "upload_queue",
]

FLOOR_CLIPS = ("animation", "zoom", "grain")
CLIP_SIZE = (640, 360)
CLIP_SECONDS = 1.0


def _row(height: int, si: float, ti: float, bpp: float) -> dict[str, Any]:
    return {
        "width": round(height * 16 / 9 / 2) * 2,
        "height": height,
        "fps": 24.0,
        "duration_s": 2.0,
        "si": si,
        "ti": ti,
        "probe_kbps": round(bpp * height * height * 16 / 9 * 24 / 1000, 3),
        "probe_bits_per_pixel": bpp,
        "cpu_s": 0.1,
    }


SEEDED_ANALYSES: dict[str, dict[str, Any]] = {
    "animation": _row(360, 74.7, 16.7, 0.252),
    "zoom": _row(360, 56.8, 10.6, 0.367),
    "grain": _row(360, 71.3, 19.0, 0.669),
    "sports": _row(360, 206.9, 29.7, 0.274),
    "detail_at_threshold": _row(720, 60.0, 17.99, 0.30),
    "motion_at_threshold": _row(720, 60.0, 18.0, 0.45),
    "half_up": _row(240, 40.0, 5.0, 0.225),
    "flat_1080p": _row(1080, 20.0, 1.0, 0.05),
    "odd_height": _row(300, 50.0, 8.0, 0.33),
}
"""Analyses as the lab measures them (the first four are this machine's measurements of
the lesson's clips, rounded), plus cases at each boundary of the policy."""


def reference_ladder(analysis: dict[str, Any]) -> list[dict[str, Any]]:
    """The lab's content-adaptive ladder for ``analysis``, as plain dicts."""
    return ladder_as_dicts(adaptive_ladder(analysis))


def fixed_ladder_dicts(source_height: int) -> list[dict[str, Any]]:
    """The fixed ladder up to ``source_height``, as plain dicts."""
    return ladder_as_dicts(fixed_ladder(source_height))


def _clip_path(name: str) -> Path:
    folder = Path(tempfile.gettempdir()) / "tradeoffs-07-clips"
    return folder / f"{name}-{CLIP_SIZE[0]}x{CLIP_SIZE[1]}-{CLIP_SECONDS:g}s.nut"


def clip_analysis(name: str) -> dict[str, Any]:
    """Render the small clip ``name`` (cached on disk) and return its measured analysis."""
    info = make_clip(
        name, _clip_path(name), width=CLIP_SIZE[0], height=CLIP_SIZE[1], seconds=CLIP_SECONDS
    )
    return analyse(info.path, info=info).as_dict()


def measure_ladder(
    name: str, ladder: list[Any], subsample: int = 3, score_top: bool = True
) -> dict[str, Any]:
    """Encode clip ``name`` with every rung of ``ladder`` (plain dicts or tuples) using the
    lab's encoder; score the top rung with VMAF at display resolution (every
    ``subsample``-th frame; ``score_top=False`` skips it).

    Returns ``{"cpu_s": total CPU-seconds, "kbps": [...], "top_vmaf": ..., "heights": [...]}``.
    """
    info = make_clip(
        name, _clip_path(name), width=CLIP_SIZE[0], height=CLIP_SIZE[1], seconds=CLIP_SECONDS
    )
    rungs = [rung_from_dict(r) for r in ladder]
    if not rungs:
        raise ValueError("the ladder has no rungs")
    top = max(rungs, key=lambda r: (r.height, r.bitrate_kbps or 0))
    cpu, kbps, top_vmaf = 0.0, [], float("nan")
    with tempfile.TemporaryDirectory(prefix="tradeoffs-07-") as tmp:
        for n, rung in enumerate(rungs):
            result = encode(info.path, Path(tmp) / f"{n}.mp4", rung, info=info)
            cpu += result.cpu_s
            kbps.append(result.kbps)
            if rung is top and score_top:
                top_vmaf = score(info.path, result.path, subsample=subsample).vmaf
    return {"cpu_s": cpu, "kbps": kbps, "top_vmaf": top_vmaf, "heights": [r.height for r in rungs]}


def upload_queue(seed: int = 0, n_titles: int = 4) -> list[dict[str, Any]]:
    """A queue of jobs from ``n_titles`` uploads (seeded): each title has a preview job
    and hq jobs at 144p, 240p, 360p (and 720p for some); ``cpu_s`` is each job's time."""
    rng = np.random.default_rng(seed)
    jobs: list[dict[str, Any]] = []
    uploads = np.round(np.sort(rng.uniform(0, 20, n_titles)) * 2) / 2
    if n_titles >= 3:
        uploads[2] = uploads[1]  # two uploads at the same moment: a tie
    for k, up in enumerate(uploads):
        title = f"title{k:02d}"
        heights = [144, 240, 360] + ([720] if rng.random() < 0.5 else [])
        minutes = float(rng.integers(1, 10))
        jobs.append(
            {
                "id": f"{title}/preview",
                "title": title,
                "tier": "preview",
                "height": 144,
                "uploaded_s": float(up),
                "cpu_s": round(2.0 * minutes, 1),
            }
        )
        for h in heights:
            jobs.append(
                {
                    "id": f"{title}/{h}p",
                    "title": title,
                    "tier": "hq",
                    "height": h,
                    "uploaded_s": float(up),
                    "cpu_s": round(minutes * h / 20, 1),
                }
            )
    order = rng.permutation(len(jobs))
    return [jobs[i] for i in order]


def job_log(seed: int = 0, n_titles: int = 20) -> list[dict[str, Any]]:
    """A finished job log (seeded) of ``n_titles`` titles: per job ``id``, ``title``,
    ``tier``, ``height``, ``uploaded_s``, ``started_s``, ``finished_s``, ``cpu_s``,
    ``duration_s`` (the title's length). Times are multiples of 0.5 s, so a time to first
    frame can equal a target exactly."""
    rng = np.random.default_rng(seed)
    log: list[dict[str, Any]] = []
    for k in range(n_titles):
        title = f"t{k:02d}"
        up = float(k * 30)
        duration = float(rng.integers(1, 20) * 30)
        wait = float(rng.integers(0, 8) * 0.5)
        preview_s = float(rng.integers(2, 14) * 0.5)
        jobs = [("preview", 144, preview_s)] + [("hq", h, 0.0) for h in (144, 240, 360, 720)]
        t = up + wait
        for tier, h, took in jobs:
            cpu = took if tier == "preview" else round(duration * h / 400 * rng.uniform(0.5, 2), 2)
            run = took if tier == "preview" else cpu
            log.append(
                {
                    "id": f"{title}/{tier if tier == 'preview' else str(h) + 'p'}",
                    "title": title,
                    "tier": tier,
                    "height": h,
                    "uploaded_s": up,
                    "started_s": t,
                    "finished_s": t + run,
                    "cpu_s": cpu,
                    "duration_s": duration,
                }
            )
            t += run
    return log

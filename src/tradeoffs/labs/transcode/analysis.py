"""Content analysis: how hard is this title to compress? Numbers, before any real encode.

Two cheap measurements, both on a small copy of the video (320 pixels wide):

- **SI and TI** (spatial and temporal information, ITU-T P.910): SI is the standard
  deviation of the Sobel gradient magnitude of a frame (detail), TI the standard
  deviation of the difference between consecutive frames (motion); each is the maximum
  over the frames analysed, on luma in 0-255.
- **A probe encode**: x264 ``ultrafast`` at CRF 26 on that small copy. The bitrate it
  needs for a fixed quality factor is the most direct complexity score there is
  (noise and motion both cost bits), reported as ``probe_kbps`` and as bits per pixel.

:func:`analyse` returns a :class:`ContentAnalysis`; ``as_dict()`` is the plain-data form
the exercise's functions take.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tradeoffs.labs.transcode.ffmpeg import FFmpegError, VideoInfo, find_ffmpeg, probe, run_ffmpeg

__all__ = ["ANALYSIS_WIDTH", "ContentAnalysis", "analyse", "si_ti"]

ANALYSIS_WIDTH = 640
PROBE_CRF = 26


@dataclass(frozen=True)
class ContentAnalysis:
    """A title's complexity in numbers (SI, TI on luma 0-255; probe bitrate in kbps)."""

    width: int
    height: int
    fps: float
    duration_s: float
    si: float
    ti: float
    probe_kbps: float
    probe_bits_per_pixel: float
    cpu_s: float

    def as_dict(self) -> dict[str, Any]:
        """Plain data: a dict of numbers."""
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def si_ti(frames: np.ndarray, step: int = 1) -> tuple[float, float]:
    """P.910 spatial and temporal information of luma frames shaped (n, height, width).

    SI is taken on every ``step``-th frame, TI on the difference between each of those
    and the frame right after it (``step=1``: every frame, as P.910 says).
    """
    if frames.ndim != 3 or frames.shape[0] < 1:
        raise ValueError(f"need frames shaped (n, height, width), got {frames.shape}")
    starts = np.arange(0, len(frames), step)
    y = frames[starts].astype(np.float32)
    gx = (y[:, :-2, 2:] + 2 * y[:, 1:-1, 2:] + y[:, 2:, 2:]) - (
        y[:, :-2, :-2] + 2 * y[:, 1:-1, :-2] + y[:, 2:, :-2]
    )
    gy = (y[:, 2:, :-2] + 2 * y[:, 2:, 1:-1] + y[:, 2:, 2:]) - (
        y[:, :-2, :-2] + 2 * y[:, :-2, 1:-1] + y[:, :-2, 2:]
    )
    si = float(np.max(np.std(np.hypot(gx, gy), axis=(1, 2))))
    starts = starts[starts + 1 < len(frames)]
    if len(starts) == 0:
        return si, 0.0
    diff = frames[starts + 1].astype(np.float32) - frames[starts].astype(np.float32)
    return si, float(np.max(np.std(diff, axis=(1, 2))))


def _small_luma(path: str, info: VideoInfo, width: int, ffmpeg: str | None) -> np.ndarray:
    height = max(2, round(info.height * width / info.width / 2) * 2)
    cmd = [find_ffmpeg(ffmpeg), "-v", "error", "-nostdin", "-i", path, "-map", "0:v:0"]
    cmd += ["-vf", f"scale={width}:{height}:flags=area,format=gray", "-f", "rawvideo", "-"]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip()[-500:]
        raise FFmpegError(f"decoding {Path(path).name} for analysis failed:\n{tail}")
    n = len(proc.stdout) // (width * height)
    return np.frombuffer(proc.stdout[: n * width * height], np.uint8).reshape(n, height, width)


def analyse(
    source: str | os.PathLike[str],
    *,
    info: VideoInfo | None = None,
    width: int = ANALYSIS_WIDTH,
    ffmpeg: str | None = None,
) -> ContentAnalysis:
    """SI, TI and a CRF probe encode of ``source``, on a copy ``width`` pixels wide."""
    source = str(source)
    info = info or probe(source, ffmpeg=ffmpeg)
    frames = _small_luma(source, info, width, ffmpeg)
    si, ti = si_ti(frames, step=max(1, round(info.fps / 6)))
    height = frames.shape[1]
    with tempfile.TemporaryDirectory(prefix="tradeoffs-probe-") as tmp:
        out = Path(tmp) / "probe.mp4"
        run = run_ffmpeg(
            ["-threads", "1", "-i", source, "-map", "0:v:0", "-an"]
            + ["-vf", f"scale={width}:{height}:flags=area,format=yuv420p"]
            + ["-c:v", "libx264", "-preset", "ultrafast", "-crf", str(PROBE_CRF)]
            + ["-threads", "1", "-f", "mp4", out],
            ffmpeg=ffmpeg,
            what="the probe encode",
        )
        size = out.stat().st_size
    kbps = size * 8 / 1000 / info.duration_s
    bpp = size * 8 / (width * height * info.frames)
    return ContentAnalysis(
        width=info.width,
        height=info.height,
        fps=info.fps,
        duration_s=info.duration_s,
        si=si,
        ti=ti,
        probe_kbps=kbps,
        probe_bits_per_pixel=bpp,
        cpu_s=run.cpu_s,
    )

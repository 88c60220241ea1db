"""Test content made offline with ffmpeg's lavfi sources: no downloads, same bytes each run.

Each clip stands for a kind of upload: :data:`CLIPS` maps a name to a lavfi graph.
``animation`` (``testsrc2``: flat colours, a few moving shapes) is easy to compress;
``zoom`` (``mandelbrot``: fine detail, a slow zoom) is detailed; ``sports`` (``life``:
thousands of cells changing every frame) is high motion; ``grain`` (``testsrc2`` with
fresh noise on every frame, like film grain or a dark phone video) defeats motion
compensation. :func:`make_clip` renders one to a lossless H.264 file in the NUT
container (exact timestamps, so frames align when scored).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tradeoffs.labs.transcode.ffmpeg import FFmpegError, VideoInfo, probe, run_ffmpeg

__all__ = ["CLIPS", "Clip", "make_clip"]


@dataclass(frozen=True)
class Clip:
    """A lavfi source graph (``{size}`` and ``{fps}`` are filled in) and what it stands for."""

    name: str
    graph: str
    stands_for: str


CLIPS: dict[str, Clip] = {
    c.name: c
    for c in (
        Clip("animation", "testsrc2=s={size}:r={fps}", "flat animation, screen recordings"),
        Clip("zoom", "mandelbrot=s={size}:r={fps}", "fine detail with slow camera motion"),
        Clip(
            "sports",
            "life=s=160x90:r={fps}:mold=10:ratio=0.1:death_color=#C83232:life_color=#00ff00,"
            "scale=s={size}:flags=neighbor",
            "high motion everywhere (sport, crowds, confetti)",
        ),
        Clip(
            "grain",
            "testsrc2=s={size}:r={fps},noise=alls=10:allf=t",
            "film grain or a noisy low-light phone video",
        ),
    )
}


def make_clip(
    name: str,
    path: str | os.PathLike[str],
    *,
    width: int = 640,
    height: int = 360,
    seconds: float = 2.0,
    fps: int = 24,
    ffmpeg: str | None = None,
) -> VideoInfo:
    """Render clip ``name`` of :data:`CLIPS` to ``path`` (lossless H.264 in NUT) and probe it.

    An existing file with the same content parameters is reused (the sources are
    deterministic), so a lesson can call this freely.
    """
    if name not in CLIPS:
        raise ValueError(f"no clip {name!r}; known clips: {', '.join(CLIPS)}")
    if width % 2 or height % 2 or width < 16 or height < 16:
        raise ValueError(f"width and height must be even and at least 16, got {width}x{height}")
    if not 0 < seconds <= 600 or not 1 <= fps <= 120:
        raise ValueError(f"need 0 < seconds <= 600 and 1 <= fps <= 120, got {seconds}, {fps}")
    path = Path(path)
    stamp = path.with_name(path.name + ".params")
    params = f"{CLIPS[name].graph}|{width}x{height}|{seconds}|{fps}"
    if path.is_file() and stamp.is_file() and stamp.read_text() == params:
        try:
            return probe(path, ffmpeg=ffmpeg)
        except FFmpegError:
            pass  # a damaged cached copy: render it again
    path.parent.mkdir(parents=True, exist_ok=True)
    graph = CLIPS[name].graph.format(size=f"{width}x{height}", fps=fps)
    partial = path.with_name(f".{path.stem}.partial{path.suffix or '.nut'}")
    try:
        run_ffmpeg(
            ["-y", "-f", "lavfi", "-i", graph, "-t", f"{seconds:g}", "-pix_fmt", "yuv420p"]
            + ["-c:v", "libx264", "-qp", "0", "-preset", "ultrafast", "-f", "nut", partial],
            ffmpeg=ffmpeg,
            what=f"rendering the {name!r} clip",
        )
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    stamp.write_text(params)
    return probe(path, ffmpeg=ffmpeg)

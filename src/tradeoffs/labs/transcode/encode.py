"""One rendition: scale, encode with x264 at a preset, by CRF or by target bitrate.

A :class:`Rung` says what to make (height, preset, and either ``crf`` or
``bitrate_kbps``); :func:`encode` makes it with ffmpeg and returns an
:class:`EncodeResult`: CPU seconds (user + system of the ffmpeg process), wall seconds,
file size and the bitrate actually reached. Keyframes fall every ``gop_s`` seconds
exactly (no scene-cut keyframes), so every rendition can be cut into segments at the same
instants and a player can switch between them.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tradeoffs.labs.transcode.ffmpeg import VideoInfo, probe, run_ffmpeg

__all__ = ["PRESETS", "EncodeResult", "Rung", "encode", "rung_from_dict"]

PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
)
"""x264's presets, fastest (least CPU, least compression) first."""


@dataclass(frozen=True)
class Rung:
    """One rendition to make: output height, x264 preset, and CRF or a target bitrate.

    With ``bitrate_kbps`` the encoder aims at that average bitrate (one pass, capped at
    1.5x over a 2 s buffer); with ``crf`` it aims at a constant quality *factor* and the
    bitrate falls where it falls. Exactly one of the two must be given.
    """

    height: int
    preset: str = "veryfast"
    bitrate_kbps: float | None = None
    crf: float | None = None

    def __post_init__(self) -> None:
        if (self.bitrate_kbps is None) == (self.crf is None):
            raise ValueError(f"a rung needs exactly one of bitrate_kbps and crf: {self}")
        if self.preset not in PRESETS:
            raise ValueError(f"unknown x264 preset {self.preset!r}; one of {', '.join(PRESETS)}")
        if not isinstance(self.height, int) or self.height < 16 or self.height % 2:
            raise ValueError(f"height must be an even integer >= 16, got {self.height!r}")
        if self.bitrate_kbps is not None and not self.bitrate_kbps > 0:
            raise ValueError(f"bitrate_kbps must be positive, got {self.bitrate_kbps}")
        if self.crf is not None and not 0 <= self.crf <= 51:
            raise ValueError(f"crf must be in [0, 51], got {self.crf}")

    @property
    def name(self) -> str:
        """A short label, e.g. ``360p veryfast 800k`` or ``360p medium crf23``."""
        rate = f"crf{self.crf:g}" if self.crf is not None else f"{self.bitrate_kbps:g}k"
        return f"{self.height}p {self.preset} {rate}"

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for job logs and graded tests)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def rung_from_dict(data: dict[str, Any] | tuple[Any, ...] | list[Any]) -> Rung:
    """A Rung from plain data: a dict with ``height``, ``preset`` and ``bitrate_kbps`` or
    ``crf``, or a tuple ``(height, preset, bitrate_kbps)``."""
    if isinstance(data, dict):
        unknown = set(data) - {"height", "preset", "bitrate_kbps", "crf"}
        if unknown:
            raise ValueError(f"a rung has keys height, preset, bitrate_kbps or crf: {data!r}")
        height = data.get("height")
        return Rung(
            height=int(height) if isinstance(height, int | float) else height,  # type: ignore[arg-type]
            preset=str(data.get("preset", "veryfast")),
            bitrate_kbps=None if data.get("bitrate_kbps") is None else float(data["bitrate_kbps"]),
            crf=None if data.get("crf") is None else float(data["crf"]),
        )
    if isinstance(data, tuple | list) and len(data) == 3:
        return Rung(int(data[0]), str(data[1]), bitrate_kbps=float(data[2]))
    raise ValueError(f"a rung is a dict or a (height, preset, bitrate_kbps) tuple: {data!r}")


@dataclass(frozen=True)
class EncodeResult:
    """A finished rendition and what it cost."""

    rung: Rung
    path: str
    width: int
    height: int
    cpu_s: float
    wall_s: float
    bytes: int
    kbps: float
    duration_s: float
    frames: int
    started_at: float = field(default=0.0, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """Plain data: the rung's fields and the measurements."""
        out = {k: v for k, v in asdict(self).items() if k != "rung"}
        return {**self.rung.as_dict(), **out, "name": self.rung.name}


def output_width(info: VideoInfo, height: int) -> int:
    """The even width that keeps the source's aspect ratio at ``height``."""
    return max(2, round(info.width * height / info.height / 2) * 2)


def encode(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    rung: Rung,
    *,
    info: VideoInfo | None = None,
    gop_s: float = 2.0,
    threads: int = 1,
    ffmpeg: str | None = None,
) -> EncodeResult:
    """Encode ``source`` to the MP4 ``out`` as ``rung``; return the measured result.

    ``threads=1`` (the default) makes x264's output and CPU time repeatable and lets a
    pool run one job per core; ``threads=0`` lets x264 use every core (lower wall time,
    a little more CPU). The file appears at ``out`` only once it is complete.
    """
    info = info or probe(source, ffmpeg=ffmpeg)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    width = output_width(info, rung.height)
    gop = max(1, round(gop_s * info.fps))
    if rung.crf is not None:
        rate = ["-crf", f"{rung.crf:g}"]
    else:
        kbps = float(rung.bitrate_kbps or 0)
        rate = ["-b:v", f"{kbps:g}k", "-maxrate", f"{1.5 * kbps:g}k", "-bufsize", f"{2 * kbps:g}k"]
    partial = out.with_name(f".{out.stem}.partial.mp4")
    args = ["-y", "-threads", str(threads), "-i", source, "-map", "0:v:0", "-an", "-sn"]
    args += ["-vf", f"scale={width}:{rung.height}:flags=bicubic,format=yuv420p"]
    args += ["-c:v", "libx264", "-preset", rung.preset, *rate, "-threads", str(threads)]
    args += ["-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0"]
    args += ["-fps_mode", "passthrough", "-movflags", "+faststart", "-f", "mp4", partial]
    try:
        run = run_ffmpeg(args, ffmpeg=ffmpeg, what=f"encoding {rung.name}")
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    size = out.stat().st_size
    return EncodeResult(
        rung=rung,
        path=str(out),
        width=width,
        height=rung.height,
        cpu_s=run.cpu_s,
        wall_s=run.wall_s,
        bytes=size,
        kbps=size * 8 / 1000 / info.duration_s,
        duration_s=info.duration_s,
        frames=info.frames,
        started_at=run.started_at,
    )

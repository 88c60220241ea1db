"""Packaging for playback: HLS media playlists with ffmpeg's ``hls`` muxer, and a master.

:func:`package_hls` cuts an encoded rendition into MPEG-TS segments without re-encoding
(``-c copy``; segments start at the keyframes the encoder put every ``gop_s``).
:func:`write_master` writes the master playlist a player opens first: one
``#EXT-X-STREAM-INF`` line per rendition with its peak and average bandwidth and size.
:func:`read_media_playlist` reads a media playlist's segments back (durations, bytes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tradeoffs.labs.transcode.ffmpeg import FFmpegRun, run_ffmpeg

__all__ = ["Segment", "Variant", "package_hls", "read_media_playlist", "write_master"]


@dataclass(frozen=True)
class Segment:
    """One media segment: file name, duration (s) and size (bytes)."""

    uri: str
    duration_s: float
    bytes: int


@dataclass(frozen=True)
class Variant:
    """One rendition as the master playlist lists it."""

    uri: str  # the media playlist, relative to the master
    width: int
    height: int
    average_kbps: float
    peak_kbps: float


def package_hls(
    source: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    segment_s: float = 2.0,
    ffmpeg: str | None = None,
) -> FFmpegRun:
    """Cut ``source`` (already encoded) into ``out_dir/index.m3u8`` + ``seg_NNN.ts``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return run_ffmpeg(
        ["-y", "-i", source, "-map", "0:v:0", "-c", "copy", "-f", "hls"]
        + ["-hls_time", f"{segment_s:g}", "-hls_playlist_type", "vod"]
        + ["-hls_segment_filename", out / "seg_%03d.ts", out / "index.m3u8"],
        ffmpeg=ffmpeg,
        what=f"packaging {Path(source).name} as HLS",
    )


def read_media_playlist(path: str | os.PathLike[str]) -> list[Segment]:
    """The segments a media playlist lists (so far), with their sizes on disk."""
    path = Path(path)
    segments: list[Segment] = []
    duration = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",")[0])
        elif line and not line.startswith("#") and duration is not None:
            seg = path.parent / line
            segments.append(Segment(line, duration, seg.stat().st_size if seg.exists() else 0))
            duration = None
    return segments


def peak_kbps(segments: list[Segment]) -> float:
    """The highest segment bitrate: what HLS's BANDWIDTH attribute means."""
    return max((s.bytes * 8 / 1000 / max(s.duration_s, 1e-6) for s in segments), default=0.0)


def write_master(path: str | os.PathLike[str], variants: list[Variant]) -> Path:
    """Write the master playlist listing ``variants`` (lowest bandwidth first)."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for v in sorted(variants, key=lambda v: v.peak_kbps):
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={round(v.peak_kbps * 1000)},"
            f"AVERAGE-BANDWIDTH={round(v.average_kbps * 1000)},RESOLUTION={v.width}x{v.height}"
        )
        lines.append(v.uri)
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text("\n".join(lines) + "\n")
    partial.replace(path)
    return path

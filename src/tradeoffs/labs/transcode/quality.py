"""Quality of a rendition against its source: VMAF, PSNR and SSIM, measured by libvmaf.

Two rules make the numbers honest:

- **Display resolution.** A viewer watches a 240p rendition blown up to the player's
  size, so :func:`score` upscales the rendition (bicubic) to the display size (the
  source's by default) before comparing. ``at="native"`` instead shrinks the source to
  the rendition's size, the flattering mistake the lesson shows.
- **Frame alignment.** Containers disagree about start times (MPEG-TS starts at 1.4 s,
  MP4 edit lists shift B-frame streams), and libvmaf pairs frames by timestamp. The
  frame counts are checked first; then both streams are renumbered by frame index so
  frame *n* is compared with frame *n*.

``subsample=k`` scores every k-th frame (libvmaf's ``n_subsample``): about k times
faster, and for clips without sudden changes the mean moves by a few tenths.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from tradeoffs.labs.transcode.ffmpeg import FFmpegError, has_filter, probe, run_ffmpeg

__all__ = ["Quality", "score"]


@dataclass(frozen=True)
class Quality:
    """Pooled scores over the frames compared (VMAF 0-100, PSNR of luma in dB, SSIM 0-1)."""

    vmaf: float
    vmaf_min: float
    vmaf_harmonic: float
    psnr_y: float
    ssim: float
    frames_scored: int
    frames: int
    width: int
    height: int
    cpu_s: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def score(
    reference: str | os.PathLike[str],
    distorted: str | os.PathLike[str],
    *,
    at: Literal["display", "native"] = "display",
    display: tuple[int, int] | None = None,
    subsample: int = 1,
    threads: int = 2,
    ffmpeg: str | None = None,
) -> Quality:
    """Score ``distorted`` against ``reference`` with VMAF (v0.6.1), PSNR and SSIM.

    ``at="display"``: both are scaled to ``display`` (width, height; default the
    reference's size) before comparing. ``at="native"``: the reference is scaled down to
    the distorted file's size instead. Raises FFmpegError if the frame counts differ or
    this ffmpeg has no libvmaf (Debian's has none: use the bundled one).
    """
    if subsample < 1:
        raise ValueError(f"subsample must be >= 1, got {subsample}")
    if not has_filter("libvmaf", ffmpeg):
        raise FFmpegError(
            "this ffmpeg has no libvmaf filter (Debian's is built without it): use the "
            "bundled ffmpeg from imageio-ffmpeg (ffmpeg=None)"
        )
    ref, dist = probe(reference, ffmpeg=ffmpeg), probe(distorted, ffmpeg=ffmpeg)
    if ref.frames != dist.frames:
        raise FFmpegError(
            f"{Path(distorted).name} has {dist.frames} frames, its reference {ref.frames}: "
            "frames cannot be aligned (a rendition must keep every frame)"
        )
    if at == "display":
        width, height = display or (ref.width, ref.height)
    elif at == "native":
        width, height = dist.width, dist.height
    else:
        raise ValueError(f"at must be 'display' or 'native', got {at!r}")
    # Frame n against frame n: a synthetic timeline of one tick per frame on both sides.
    renumber = "settb=1/1000,setpts=N*40"
    fit = f"scale={width}:{height}:flags=bicubic,format=yuv420p"
    with tempfile.TemporaryDirectory(prefix="tradeoffs-vmaf-") as tmp:
        log_path = Path(tmp) / "vmaf.json"
        # libvmaf reads its options with ':' and '\' as separators: keep the path plain.
        vmaf = (
            f"libvmaf=n_threads={threads}:n_subsample={subsample}:log_fmt=json:"
            f"log_path={log_path.as_posix()}:feature=name=psnr|name=float_ssim"
        )
        graph = f"[0:v]{renumber},{fit}[d];[1:v]{renumber},{fit}[r];[d][r]{vmaf}"
        run = run_ffmpeg(
            ["-i", distorted, "-i", reference, "-lavfi", graph, "-f", "null", "-"],
            ffmpeg=ffmpeg,
            what=f"scoring {Path(distorted).name}",
        )
        data = json.loads(log_path.read_text())
    pooled = data["pooled_metrics"]
    return Quality(
        vmaf=float(pooled["vmaf"]["mean"]),
        vmaf_min=float(pooled["vmaf"]["min"]),
        vmaf_harmonic=float(pooled["vmaf"]["harmonic_mean"]),
        psnr_y=float(pooled["psnr_y"]["mean"]),
        ssim=float(pooled["float_ssim"]["mean"]),
        frames_scored=len(data["frames"]),
        frames=ref.frames,
        width=width,
        height=height,
        cpu_s=run.cpu_s,
    )

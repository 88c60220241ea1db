"""``tradeoffs lab transcode run|clip``: the transcoding lab outside Jupyter.

:func:`add_cli` registers the ``transcode`` command and its subcommands on an argparse
subparsers object (the ``lab`` command's); each sets ``func`` to a function of the parsed
arguments that returns an exit status. A file that is not a readable video is refused
with a one-line message (exit status 2) and leaves no output behind.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_cli"]


def cmd_run(args: argparse.Namespace) -> int:
    from tradeoffs.labs.transcode.ffmpeg import FFmpegError
    from tradeoffs.labs.transcode.pipeline import JobEngine, run_pipeline
    from tradeoffs.labs.transcode.slo import slo_report

    source = Path(args.file)
    out = Path(args.out) if args.out else source.with_name(f"{source.stem}-hls")
    try:
        with JobEngine(args.engine, workers=args.workers, address=args.scheduler) as engine:
            result = run_pipeline(
                source,
                out,
                engine=engine,
                ladder=args.ladder,
                preview=not args.no_preview,
                quality_subsample=args.vmaf_subsample or None,
                overwrite=args.overwrite,
                progress=not args.quiet,
                ffmpeg=args.ffmpeg,
            )
    except (FFmpegError, FileExistsError, ValueError) as exc:
        print(f"tradeoffs lab transcode: {exc}", file=sys.stderr)
        return 2
    print(f"{result.title}: {result.duration_s:.1f} s of video on {result.engine} workers")
    if result.analysis:
        a = result.analysis
        print(
            f"  analysis: SI {a['si']:.1f}, TI {a['ti']:.1f}, "
            f"probe {a['probe_bits_per_pixel']:.3f} bits/pixel"
        )
    print(f"  {'job':16} {'CPU-s':>6} {'kbps':>7} {'VMAF':>5}  finished (s after upload)")
    for job in result.job_log:
        vmaf = f"{job['vmaf']:5.1f}" if "vmaf" in job else "    -"
        kbps = f"{job['kbps']:7.0f}" if "kbps" in job else "      -"
        name = job["id"].split("/", 1)[1]
        print(f"  {name:16} {job['cpu_s']:6.2f} {kbps} {vmaf}  {job['finished_s']:.2f}")
    report = slo_report(
        result.job_log, ttff_target_s=args.ttff_target_s, cost_target_usd_per_min=args.cost_target
    )
    print(
        f"  time to first frame {result.ttff_s:.2f} s (target {args.ttff_target_s:g} s), all done "
        f"{result.all_done_s:.2f} s, {result.cpu_s:.2f} CPU-s, ${result.cost_per_min_usd():.5f} "
        f"per minute encoded (target ${args.cost_target:g}): "
        f"{'met' if report['ttff_good'] and report['cost_good'] else 'missed'}"
    )
    print(f"  master playlist: {result.master}")
    return 0


def cmd_clip(args: argparse.Namespace) -> int:
    from tradeoffs.labs.transcode.content import make_clip
    from tradeoffs.labs.transcode.ffmpeg import FFmpegError

    try:
        info = make_clip(
            args.name, args.out, width=args.width, height=args.height, seconds=args.seconds
        )
    except (FFmpegError, ValueError) as exc:
        print(f"tradeoffs lab transcode: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {info.path}: {info.width}x{info.height}, {info.frames} frames")
    return 0


def add_cli(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``transcode`` with ``run`` and ``clip`` on ``subparsers``."""
    from tradeoffs.labs.transcode.content import CLIPS

    top = subparsers.add_parser("transcode", help="unit 07: the tiered transcoding pipeline")
    sub = top.add_subparsers(dest="transcode_command", metavar="ACTION", required=True)

    p = sub.add_parser("run", help="transcode a video: preview first, then the HLS ladder")
    p.add_argument("file", help="a video file (yours, or one made with `clip`)")
    p.add_argument("--out", help="output folder (default: FILE's name + '-hls' beside it)")
    p.add_argument("--ladder", choices=("adaptive", "fixed"), default="adaptive")
    p.add_argument("--no-preview", action="store_true", help="skip the preview tier")
    p.add_argument("--engine", choices=("process", "dask"), default="process")
    p.add_argument("--scheduler", help="a Dask scheduler address (with --engine dask)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    p.add_argument(
        "--ffmpeg", help="'system' for the ffmpeg on PATH, or a path (default: the bundled one)"
    )
    p.add_argument("--vmaf-subsample", type=int, default=4, help="score every k-th frame (0: off)")
    p.add_argument("--ttff-target-s", type=float, default=5.0)
    p.add_argument("--cost-target", type=float, default=0.005, help="USD per minute encoded")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("clip", help="make a test clip from ffmpeg's lavfi sources")
    p.add_argument("name", choices=sorted(CLIPS))
    p.add_argument("out", help="output file (.nut)")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--seconds", type=float, default=2.0)
    p.set_defaults(func=cmd_clip)
    return top

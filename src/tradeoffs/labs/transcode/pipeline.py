"""The tiered pipeline: upload -> preview first -> high-quality renditions in the background.

An upload becomes jobs (:func:`plan_jobs`): one **preview** job (the lowest rung at the
fastest preset, encoded straight into HLS segments so the first one is playable as soon
as it is written) and one **hq** job per ladder rung (encode, package, optionally score).
:func:`schedule` orders a queue of jobs, previews first; :func:`simulate_schedule` plays
an order out on ``workers`` simulated workers with known job times (deterministic, for
reasoning and grading). :func:`run_pipeline` does it for real on a :class:`JobEngine`: a
local process pool (the default) or a Dask distributed cluster, with a progress bar,
and measures the time from upload to the first playable segment.

Outputs are written to a hidden staging folder beside ``out_dir`` and moved into place
only when every job has succeeded, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tqdm.auto import tqdm

from tradeoffs import prices
from tradeoffs.labs.transcode.analysis import analyse
from tradeoffs.labs.transcode.encode import Rung, encode, output_width, rung_from_dict
from tradeoffs.labs.transcode.ffmpeg import FFmpegError, VideoInfo, probe, run_ffmpeg
from tradeoffs.labs.transcode.ladder import PREVIEW_RUNG, adaptive_ladder, fixed_ladder
from tradeoffs.labs.transcode.package import (
    Variant,
    package_hls,
    peak_kbps,
    read_media_playlist,
    write_master,
)
from tradeoffs.labs.transcode.quality import score

__all__ = [
    "JobEngine",
    "PipelineResult",
    "plan_jobs",
    "run_pipeline",
    "schedule",
    "simulate_schedule",
]

EngineKind = Literal["process", "dask"]


# ---------------------------------------------------------------- planning and scheduling


def plan_jobs(
    title: str, uploaded_s: float, ladder: Sequence[Rung], *, preview: bool = True
) -> list[dict[str, Any]]:
    """The jobs of one upload as plain dicts: ``id``, ``title``, ``tier`` ("preview" or
    "hq"), ``height``, ``uploaded_s`` and the ``rung`` (a dict)."""
    jobs = []
    if preview:
        jobs.append(
            {
                "id": f"{title}/preview",
                "title": title,
                "tier": "preview",
                "height": PREVIEW_RUNG.height,
                "uploaded_s": float(uploaded_s),
                "rung": PREVIEW_RUNG.as_dict(),
            }
        )
    for rung in ladder:
        jobs.append(
            {
                "id": f"{title}/{rung.height}p",
                "title": title,
                "tier": "hq",
                "height": rung.height,
                "uploaded_s": float(uploaded_s),
                "rung": rung.as_dict(),
            }
        )
    return jobs


def schedule(jobs: Iterable[Mapping[str, Any]]) -> list[str]:
    """The order to run a queue of jobs in, as job ids.

    Every preview job comes before every hq job (a viewer can start on a preview; an hq
    rung only improves what they see). Previews run in upload order; hq jobs in upload
    order, lowest rung first within a title (it finishes soonest and serves the slowest
    networks). Ties keep the order of the job ids (string order).
    """
    queue = list(jobs)
    previews = sorted(
        (j for j in queue if j["tier"] == "preview"), key=lambda j: (j["uploaded_s"], j["id"])
    )
    hq = sorted(
        (j for j in queue if j["tier"] != "preview"),
        key=lambda j: (j["uploaded_s"], j["height"], j["id"]),
    )
    return [str(j["id"]) for j in previews + hq]


def simulate_schedule(
    jobs: Iterable[Mapping[str, Any]], order: Sequence[str], *, workers: int = 2
) -> list[dict[str, Any]]:
    """Play ``order`` out on ``workers`` workers: each job dict has ``cpu_s`` (its run
    time); a free worker takes the next job in ``order`` that has been uploaded
    (``uploaded_s``), waiting if none has. Returns the job log: each job with
    ``started_s`` and ``finished_s`` added, in the order the jobs started."""
    by_id = {str(j["id"]): dict(j) for j in jobs}
    if sorted(order) != sorted(by_id) or len(set(order)) != len(order):
        raise ValueError("the order must name every job exactly once")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    free = [0.0] * workers
    pending = [by_id[i] for i in order]
    log = []
    while pending:
        w = min(range(workers), key=lambda k: free[k])
        ready = [j for j in pending if j["uploaded_s"] <= free[w]]
        job = ready[0] if ready else min(pending, key=lambda j: j["uploaded_s"])
        pending.remove(job)
        start = max(free[w], float(job["uploaded_s"]))
        free[w] = start + float(job["cpu_s"])
        log.append({**job, "started_s": start, "finished_s": free[w], "worker": w})
    return log


# ---------------------------------------------------------------- the jobs themselves


def _preview_job(
    source: str,
    out_dir: str,
    rung: dict[str, Any],
    info: dict[str, Any],
    segment_s: float,
    ffmpeg: str | None,
) -> dict[str, Any]:
    """Encode the preview straight into HLS segments (first segment playable early)."""
    r = rung_from_dict(rung)
    vi = VideoInfo(**info)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    gop = max(1, round(segment_s * vi.fps))
    kbps = float(r.bitrate_kbps or 200)
    run = run_ffmpeg(
        ["-y", "-i", source, "-map", "0:v:0", "-an", "-sn"]
        + ["-vf", f"scale={output_width(vi, r.height)}:{r.height}:flags=bicubic,format=yuv420p"]
        + ["-c:v", "libx264", "-preset", r.preset, "-b:v", f"{kbps:g}k"]
        + ["-maxrate", f"{1.5 * kbps:g}k", "-bufsize", f"{2 * kbps:g}k"]
        + ["-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0"]
        + ["-f", "hls", "-hls_time", f"{segment_s:g}", "-hls_playlist_type", "event"]
        + ["-hls_flags", "temp_file+independent_segments"]
        + ["-hls_segment_filename", out / "seg_%03d.ts", out / "index.m3u8"],
        ffmpeg=ffmpeg,
        what="the preview encode",
    )
    segments = read_media_playlist(out / "index.m3u8")
    size = sum(s.bytes for s in segments)
    return {
        **r.as_dict(),
        "width": output_width(vi, r.height),
        "cpu_s": run.cpu_s,
        "wall_s": run.wall_s,
        "started_at": run.started_at,
        "finished_at": time.time(),
        "bytes": size,
        "kbps": size * 8 / 1000 / vi.duration_s,
        "peak_kbps": peak_kbps(segments),
        "segments": [s.bytes for s in segments],
        "pid": os.getpid(),
    }


def _hq_job(
    source: str,
    out_dir: str,
    rung: dict[str, Any],
    info: dict[str, Any],
    segment_s: float,
    ffmpeg: str | None,
    subsample: int | None,
) -> dict[str, Any]:
    """Encode one rung, package it as HLS, and (if ``subsample``) score it with VMAF."""
    r = rung_from_dict(rung)
    vi = VideoInfo(**info)
    out = Path(out_dir)
    started_at = time.time()
    result = encode(source, out / "rendition.mp4", r, info=vi, gop_s=segment_s, ffmpeg=ffmpeg)
    pack = package_hls(result.path, out, segment_s=segment_s, ffmpeg=ffmpeg)
    segments = read_media_playlist(out / "index.m3u8")
    entry: dict[str, Any] = {
        **r.as_dict(),
        "width": result.width,
        "cpu_s": result.cpu_s + pack.cpu_s,
        "wall_s": result.wall_s + pack.wall_s,
        "started_at": started_at,
        "bytes": result.bytes,
        "kbps": result.kbps,
        "peak_kbps": peak_kbps(segments),
        "segments": [s.bytes for s in segments],
        "pid": os.getpid(),
    }
    if subsample:
        q = score(source, result.path, subsample=subsample, ffmpeg=ffmpeg)
        entry.update(vmaf=q.vmaf, psnr_y=q.psnr_y, ssim=q.ssim, qa_cpu_s=q.cpu_s)
    entry["finished_at"] = time.time()
    return entry


def _noop() -> int:
    return os.getpid()


# ---------------------------------------------------------------- job engines


class JobEngine:
    """Where jobs run: ``"process"`` (a local process pool, the default) or ``"dask"``
    (a Dask distributed cluster: ``address`` of a running scheduler, else a LocalCluster
    of ``workers`` single-threaded worker processes). Use it as a context manager; it
    starts its workers up front, so an upload's time to first frame does not include
    starting a pool (a real service keeps its workers running)."""

    def __init__(
        self, kind: EngineKind = "process", *, workers: int = 2, address: str | None = None
    ) -> None:
        if kind not in ("process", "dask"):
            raise ValueError(f"kind must be 'process' or 'dask', got {kind!r}")
        self.kind, self.workers, self.address = kind, workers, address
        self._pool: cf.ProcessPoolExecutor | None = None
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> JobEngine:
        if self.kind == "process":
            self._pool = cf.ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn")
            )
            for f in [self._pool.submit(_noop) for _ in range(self.workers)]:
                f.result()
        else:
            import logging

            from distributed import Client, LocalCluster

            logging.getLogger("distributed").setLevel(logging.ERROR)
            if self.address:
                self._client = Client(self.address, timeout="10s")
            else:
                self._cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self._client = Client(self._cluster)
            self._client.wait_for_workers(1, timeout=60)
        return self

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` on a worker; a future with ``done()`` and ``result()``."""
        if self._pool is not None:
            return self._pool.submit(fn, *args)
        if self._client is not None:
            return self._client.submit(fn, *args, pure=False)
        raise RuntimeError("use the JobEngine in a `with` block")

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


# ---------------------------------------------------------------- the real run


@dataclass
class PipelineResult:
    """What one upload went through, in plain data where it matters."""

    title: str
    out_dir: str
    master: str
    ttff_s: float  # upload -> first playable segment (measured)
    all_done_s: float  # upload -> every rendition packaged
    ladder: list[dict[str, Any]]
    job_log: list[dict[str, Any]]
    analysis: dict[str, Any] | None
    duration_s: float
    engine: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def cpu_s(self) -> float:
        """CPU seconds of every job (encodes, packaging, analysis; quality scoring apart)."""
        return sum(j["cpu_s"] for j in self.job_log)

    def cost_per_min_usd(self, vcpu_hour_usd: float | None = None) -> float:
        """Compute cost per minute of video encoded, at an on-demand vCPU-hour by default."""
        price = prices.VCPU_HOUR_USD["on-demand VM"] if vcpu_hour_usd is None else vcpu_hour_usd
        return self.cpu_s * price / 3600 / (self.duration_s / 60)

    def renditions(self) -> list[dict[str, Any]]:
        """The playable renditions (preview and hq), lowest first, for the viewer model."""
        rows = [j for j in self.job_log if j["tier"] in ("preview", "hq")]
        return sorted(rows, key=lambda j: (j["height"], j["kbps"]))


def _first_playable(playlist: Path) -> bool:
    try:
        text = playlist.read_text()
    except OSError:
        return False
    return "#EXTINF" in text


def run_pipeline(
    source: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    engine: JobEngine,
    ladder: Literal["fixed", "adaptive"] | Sequence[Rung] = "adaptive",
    preview: bool = True,
    title: str | None = None,
    segment_s: float = 2.0,
    quality_subsample: int | None = None,
    overwrite: bool = False,
    progress: bool = True,
    ffmpeg: str | None = None,
) -> PipelineResult:
    """Transcode one upload: preview first, then the ladder's renditions, then the master.

    ``ladder``: ``"adaptive"`` (analyse the content first; :func:`adaptive_ladder`),
    ``"fixed"``, or a list of rungs. ``quality_subsample=k`` also scores every rendition
    with VMAF on every k-th frame (recorded in the job log; its CPU is not encode cost).
    Raises FFmpegError (clear message) for a file that is not a readable video; nothing
    is left in ``out_dir`` then.
    """
    source = str(Path(source).resolve())
    out = Path(out_dir)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists: choose another folder or pass overwrite=True")
    uploaded_at = time.time()
    info = probe(source, ffmpeg=ffmpeg)
    if info.height < PREVIEW_RUNG.height:
        raise FFmpegError(f"{Path(source).name} is {info.height}p: too small to transcode")
    title = title or Path(source).stem
    info_d = dict(info.__dict__)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    bar = tqdm(total=1, desc=f"{title}: preview", disable=not progress, leave=False)
    try:
        log: list[dict[str, Any]] = []
        futures: dict[str, tuple[dict[str, Any], Any]] = {}
        ttff_s = float("nan")
        if preview:
            pjob = plan_jobs(title, 0.0, [], preview=True)[0]
            fut = engine.submit(
                _preview_job,
                source,
                str(staging / "preview"),
                pjob["rung"],
                info_d,
                min(segment_s, 1.0),
                ffmpeg,
            )
            futures[pjob["id"]] = (pjob, fut)
            playlist = staging / "preview" / "index.m3u8"
            while not _first_playable(playlist) and not fut.done():
                time.sleep(0.005)
            if _first_playable(playlist):
                ttff_s = time.time() - uploaded_at
                # Publish at once: a master that lists the preview alone.
                write_master(
                    staging / "master.m3u8",
                    [
                        Variant(
                            "preview/index.m3u8",
                            output_width(info, PREVIEW_RUNG.height),
                            PREVIEW_RUNG.height,
                            200.0,
                            300.0,
                        )
                    ],
                )
        analysis = None
        if ladder == "adaptive":
            a = analyse(source, info=info, ffmpeg=ffmpeg)
            analysis = a.as_dict()
            log.append(
                {
                    "id": f"{title}/analysis",
                    "title": title,
                    "tier": "analysis",
                    "height": 0,
                    "uploaded_s": 0.0,
                    "started_s": 0.0,
                    "finished_s": time.time() - uploaded_at,
                    "cpu_s": a.cpu_s,
                    "duration_s": info.duration_s,
                }
            )
            rungs = adaptive_ladder(analysis)
        elif ladder == "fixed":
            rungs = fixed_ladder(info.height)
        else:
            rungs = list(ladder)
        hq_jobs = plan_jobs(title, 0.0, rungs, preview=False)
        by_id = {j["id"]: j for j in hq_jobs}
        for job_id in schedule(hq_jobs):
            job = by_id[job_id]
            fut = engine.submit(
                _hq_job,
                source,
                str(staging / f"{job['height']}p"),
                job["rung"],
                info_d,
                segment_s,
                ffmpeg,
                quality_subsample,
            )
            futures[job_id] = (job, fut)
        bar.reset(total=len(futures))
        bar.set_description(f"{title}: {len(futures)} jobs")
        pending = dict(futures)
        first_hq = float("inf")
        while pending:
            for job_id, (job, fut) in list(pending.items()):
                if not fut.done():
                    continue
                del pending[job_id]
                entry = fut.result()
                rel = {
                    "started_s": entry.pop("started_at") - uploaded_at,
                    "finished_s": entry.pop("finished_at") - uploaded_at,
                }
                log.append(
                    {
                        "id": job_id,
                        "title": title,
                        "tier": job["tier"],
                        "uploaded_s": 0.0,
                        **rel,
                        **entry,
                        "duration_s": info.duration_s,
                    }
                )
                if job["tier"] == "hq":
                    first_hq = min(first_hq, rel["finished_s"])
                bar.update(1)
            time.sleep(0.005)
        if not preview:
            ttff_s = first_hq
        variants = [
            Variant(
                f"{'preview' if j['tier'] == 'preview' else str(j['height']) + 'p'}/index.m3u8",
                int(j["width"]),
                int(j["height"]),
                float(j["kbps"]),
                float(j["peak_kbps"]),
            )
            for j in log
            if j["tier"] == "hq" or (j["tier"] == "preview" and not rungs)
        ]
        write_master(staging / "master.m3u8", variants)
        all_done_s = time.time() - uploaded_at
        if out.exists():
            shutil.rmtree(out)
        staging.replace(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        bar.close()
    log.sort(key=lambda j: j["started_s"])
    return PipelineResult(
        title=title,
        out_dir=str(out),
        master=str(out / "master.m3u8"),
        ttff_s=ttff_s,
        all_done_s=all_done_s,
        ladder=[r.as_dict() for r in rungs],
        job_log=log,
        analysis=analysis,
        duration_s=info.duration_s,
        engine=engine.kind,
    )

"""The tiered video transcoding lab (unit 07): real ffmpeg, real x264, real VMAF.

Modules: :mod:`.ffmpeg` (find and run ffmpeg, CPU time per process, probing),
:mod:`.content` (test clips from lavfi sources), :mod:`.encode` (one rendition: preset,
CRF or bitrate), :mod:`.quality` (VMAF/PSNR/SSIM at display resolution, frames aligned),
:mod:`.analysis` (SI/TI and a probe encode), :mod:`.ladder` (fixed and content-adaptive
ladders), :mod:`.package` (HLS segments and the master playlist), :mod:`.pipeline`
(preview first, hq jobs on a process pool or Dask), :mod:`.playback` (viewers on
bandwidth traces with a throughput-based ABR rule), :mod:`.slo` (time to first frame and
cost per minute encoded, error budgets), :mod:`.exercise` (fixtures of the graded
exercise), :mod:`.cli` (``tradeoffs lab transcode ...``).
"""

from tradeoffs.labs.transcode.analysis import ContentAnalysis, analyse, si_ti
from tradeoffs.labs.transcode.content import CLIPS, make_clip
from tradeoffs.labs.transcode.encode import PRESETS, EncodeResult, Rung, encode, rung_from_dict
from tradeoffs.labs.transcode.ffmpeg import FFmpegError, VideoInfo, find_ffmpeg, probe, run_ffmpeg
from tradeoffs.labs.transcode.ladder import (
    BASE_KBPS,
    FIXED_LADDER,
    PREVIEW_RUNG,
    adaptive_ladder,
    fixed_ladder,
    ladder_as_dicts,
)
from tradeoffs.labs.transcode.pipeline import (
    JobEngine,
    PipelineResult,
    plan_jobs,
    run_pipeline,
    schedule,
    simulate_schedule,
)
from tradeoffs.labs.transcode.quality import Quality, score
from tradeoffs.labs.transcode.slo import error_budget, slo_report

__all__ = [
    "BASE_KBPS",
    "CLIPS",
    "FIXED_LADDER",
    "PREVIEW_RUNG",
    "PRESETS",
    "ContentAnalysis",
    "EncodeResult",
    "FFmpegError",
    "JobEngine",
    "PipelineResult",
    "Quality",
    "Rung",
    "VideoInfo",
    "adaptive_ladder",
    "analyse",
    "encode",
    "error_budget",
    "find_ffmpeg",
    "fixed_ladder",
    "ladder_as_dicts",
    "make_clip",
    "plan_jobs",
    "probe",
    "rung_from_dict",
    "run_ffmpeg",
    "run_pipeline",
    "schedule",
    "score",
    "si_ti",
    "simulate_schedule",
    "slo_report",
]

"""Run ffmpeg as a subprocess: find the binary, measure its CPU time, explain failures.

The default binary is the static ffmpeg shipped by the PyPI package ``imageio-ffmpeg``
(it has libx264, libx265, SVT-AV1 and libvmaf); ``ffmpeg="system"`` uses the one on
``PATH`` and any other string is taken as a path. ``TRADEOFFS_FFMPEG`` sets the default
the same way. A run's CPU time (user + system) comes from the kernel's resource usage of
that one child process (``os.wait4``), so jobs running side by side are measured apart.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = [
    "FFmpegError",
    "FFmpegRun",
    "VideoInfo",
    "find_ffmpeg",
    "has_filter",
    "probe",
    "run_ffmpeg",
]


class FFmpegError(RuntimeError):
    """ffmpeg is missing, or it failed; the message says what it was asked and why."""


@dataclass(frozen=True)
class FFmpegRun:
    """One finished ffmpeg process: its CPU and wall time (s) and what it logged."""

    args: tuple[str, ...]
    cpu_s: float
    wall_s: float
    log: str
    started_at: float  # time.time() when it started (comparable across processes)


def find_ffmpeg(ffmpeg: str | None = None) -> str:
    """The path of the ffmpeg to run.

    ``None`` (the default): ``$TRADEOFFS_FFMPEG`` if set, else imageio-ffmpeg's static
    build. ``"system"``: ``ffmpeg`` on ``PATH``. Anything else: a path to a binary.
    """
    choice = ffmpeg or os.environ.get("TRADEOFFS_FFMPEG") or "bundled"
    if choice == "bundled":
        try:
            import imageio_ffmpeg
        except ImportError as exc:  # pragma: no cover - it is a dependency
            raise FFmpegError(
                "the bundled ffmpeg comes from the package imageio-ffmpeg, which is not "
                "installed: pip install imageio-ffmpeg (or pass ffmpeg='system')"
            ) from exc
        try:
            return str(imageio_ffmpeg.get_ffmpeg_exe())
        except RuntimeError as exc:
            raise FFmpegError(f"imageio-ffmpeg has no ffmpeg for this platform: {exc}") from exc
    if choice == "system":
        found = shutil.which("ffmpeg")
        if not found:
            raise FFmpegError(
                "ffmpeg='system' but there is no ffmpeg on PATH: install it (e.g. apt-get "
                "install ffmpeg) or use the bundled one (ffmpeg=None)"
            )
        return found
    path = Path(choice).expanduser()
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise FFmpegError(f"ffmpeg={choice!r} is not an executable file")
    return str(path)


@lru_cache(maxsize=8)
def _filters(exe: str) -> frozenset[str]:
    out = subprocess.run(
        [exe, "-hide_banner", "-filters"], capture_output=True, text=True, check=False
    ).stdout
    return frozenset(m.group(1) for m in re.finditer(r"^\s*[.A-Z|]{2,3}\s+(\w+)\s", out, re.M))


def has_filter(name: str, ffmpeg: str | None = None) -> bool:
    """True if this ffmpeg has the filter ``name`` (e.g. ``libvmaf``: Debian's has not)."""
    return name in _filters(find_ffmpeg(ffmpeg))


def _tail(log: str, lines: int = 6) -> str:
    kept = [line for line in log.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def run_ffmpeg(
    args: Sequence[str | os.PathLike[str]],
    *,
    ffmpeg: str | None = None,
    what: str = "ffmpeg",
    timeout_s: float = 600.0,
) -> FFmpegRun:
    """Run ``ffmpeg -hide_banner -nostdin ARGS``; return its CPU time, wall time and log.

    Raises FFmpegError with the last lines of ffmpeg's log when it exits non-zero or runs
    longer than ``timeout_s``. ``what`` names the job in that message.
    """
    exe = find_ffmpeg(ffmpeg)
    argv = [exe, "-hide_banner", "-nostdin", *map(str, args)]
    with tempfile.TemporaryFile() as log:
        started_at, started = time.time(), time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        cpu_s, status = _wait(proc, timeout_s, what)
        wall_s = time.perf_counter() - started
        log.seek(0)
        text = log.read().decode("utf-8", "replace")
    if status != 0:
        raise FFmpegError(f"{what} failed (ffmpeg exit status {status}):\n{_tail(text)}")
    return FFmpegRun(tuple(argv[1:]), cpu_s, wall_s, text, started_at)


def _wait(proc: subprocess.Popen[bytes], timeout_s: float, what: str) -> tuple[float, int]:
    """Wait for ``proc``; return (its user + system CPU seconds, exit status)."""
    deadline = time.monotonic() + timeout_s
    if hasattr(os, "wait4"):
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                return usage.ru_utime + usage.ru_stime, proc.returncode
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise FFmpegError(f"{what} did not finish within {timeout_s:g} s")
            time.sleep(0.005)
    import psutil  # pragma: no cover - platforms without wait4 (Windows)

    cpu = 0.0
    handle = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            times = handle.cpu_times()
            cpu = times.user + times.system
        except psutil.Error:
            break
        if time.monotonic() > deadline:
            proc.kill()
            raise FFmpegError(f"{what} did not finish within {timeout_s:g} s")
        time.sleep(0.01)
    return cpu, int(proc.wait())


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe` found in a file: its first video stream."""

    path: str
    width: int
    height: int
    fps: float
    frames: int
    duration_s: float
    codec: str
    bytes: int

    @property
    def kbps(self) -> float:
        """Average bitrate of the whole file (kilobits per second)."""
        return self.bytes * 8 / 1000 / max(self.duration_s, 1e-9)


_STREAM = re.compile(r"Stream #\d+:\d+.*?: Video: (\w+).*?, (\d{2,5})x(\d{2,5})")
_FPS = re.compile(r"([\d.]+) (?:fps|tbr)")
_FRAME = re.compile(r"frame=\s*(\d+)")


def probe(path: str | os.PathLike[str], *, ffmpeg: str | None = None) -> VideoInfo:
    """Read a video file's first video stream: size, frame rate, frame count, duration.

    The frames are counted by reading every packet of the stream (no decoding), so a
    truncated or corrupt file, a file with no video stream, or something that is not a
    video at all raises FFmpegError with a message that says which.
    """
    path = Path(path)
    if not path.is_file():
        raise FFmpegError(f"{path} does not exist or is not a file")
    if path.stat().st_size == 0:
        raise FFmpegError(f"{path} is empty")
    try:
        run = run_ffmpeg(
            ["-v", "info", "-i", path, "-map", "0:v:0", "-c", "copy", "-f", "null", "-"],
            ffmpeg=ffmpeg,
            what=f"reading {path.name}",
            timeout_s=120,
        )
    except FFmpegError as exc:
        text = str(exc)
        if "matches no streams" in text:
            raise FFmpegError(f"{path.name} has no video stream (audio only?)") from None
        if "Invalid data found" in text or "could not find codec" in text.lower():
            raise FFmpegError(f"{path.name} is not a video file ffmpeg can read") from None
        raise FFmpegError(f"{path.name} could not be read as a video: {text}") from None
    stream = _STREAM.search(run.log)
    frames = [int(n) for n in _FRAME.findall(run.log)]
    if stream is None or not frames or frames[-1] == 0:
        raise FFmpegError(f"{path.name} has no readable video frames")
    # A still image (PNG, JPEG) is also a one-frame "video" to ffmpeg: not an upload.
    if frames[-1] < 2:
        raise FFmpegError(f"{path.name} holds a single image, not a video")
    fps_match = _FPS.search(run.log[stream.end() :])
    fps = float(fps_match.group(1)) if fps_match else 25.0
    codec, width, height = stream.group(1), int(stream.group(2)), int(stream.group(3))
    return VideoInfo(
        path=str(path),
        width=width,
        height=height,
        fps=fps,
        frames=frames[-1],
        duration_s=frames[-1] / fps,
        codec=codec,
        bytes=path.stat().st_size,
    )

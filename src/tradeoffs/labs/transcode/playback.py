"""Viewers as they meet the stream: a player with a throughput-based ABR rule on traces.

A session downloads the master and media playlists (one round trip each), then segment
after segment. Each download takes a round trip plus its bytes over the bandwidth of
:data:`TRACES` at that moment. The ABR rule is the textbook throughput rule: pick the
highest rendition whose average bitrate is at most ``safety`` times the harmonic mean
of the last three measured throughputs (before any measurement: ``initial_kbps``, as
players assume a default estimate). Playback starts once ``startup_segments`` are in the
buffer: that instant is the **time to first frame**. When the buffer runs dry the player
**rebuffers** (stalls) until the next segment arrives. Renditions become usable only
from ``ready_s`` on (a fresh upload: the preview first, hq rungs later), and if none is
ready the viewer waits.

Segment sizes are the real ones from packaged renditions; a short clip is looped to
fill a session of ``session_s`` seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["TRACES", "Trace", "simulate_session", "trace"]


@dataclass(frozen=True)
class Trace:
    """A network profile: bandwidth steps (kbps, each ``step_s`` long) and a round trip."""

    name: str
    kbps: tuple[float, ...]
    step_s: float
    rtt_ms: float

    def bandwidth_kbps(self, t: float) -> float:
        """Bandwidth at time ``t`` (s); the trace repeats."""
        return self.kbps[int(t // self.step_s) % len(self.kbps)]


def trace(name: str, seed: int = 0) -> Trace:
    """One of the named profiles (seeded): ``fibre``, ``4g``, ``3g``, ``commuter``."""
    rng = np.random.default_rng(seed)
    n = 120
    if name == "fibre":
        kbps = np.full(n, 25_000.0)
        rtt = 15.0
    elif name == "4g":
        kbps = np.clip(rng.lognormal(np.log(3_000), 0.5, n), 500, 12_000)
        rtt = 60.0
    elif name == "3g":
        kbps = np.clip(rng.lognormal(np.log(700), 0.35, n), 150, 2_000)
        rtt = 150.0
    elif name == "commuter":
        kbps = np.clip(rng.lognormal(np.log(1_500), 0.8, n), 50, 6_000)
        kbps[rng.random(n) < 0.15] = 80.0  # tunnels
        rtt = 100.0
    else:
        raise ValueError(f"no trace {name!r}; known: {', '.join(TRACE_NAMES)}")
    return Trace(name, tuple(float(k) for k in kbps), 1.0, rtt)


TRACE_NAMES = ("fibre", "4g", "3g", "commuter")
TRACES: dict[str, Trace] = {n: trace(n) for n in TRACE_NAMES}


def _download_s(tr: Trace, start_s: float, nbytes: float) -> float:
    """Seconds to download ``nbytes`` starting at ``start_s`` (round trip included)."""
    t = start_s + tr.rtt_ms / 1000
    left = nbytes * 8 / 1000  # kilobits
    while left > 1e-9:
        rate = tr.bandwidth_kbps(t)
        step_end = (t // tr.step_s + 1) * tr.step_s
        can = rate * (step_end - t)
        if can >= left:
            t += left / rate
            left = 0.0
        else:
            left -= can
            t = step_end
    return t - start_s


@dataclass(frozen=True)
class Session:
    """One viewer session's outcome (seconds; heights in pixels)."""

    trace: str
    ttff_s: float
    startup_height: int
    rebuffer_s: float
    rebuffer_events: int
    mean_height: float
    switches: int
    bytes: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def simulate_session(
    renditions: Sequence[Mapping[str, Any]],
    tr: Trace,
    *,
    session_s: float = 30.0,
    segment_s: float = 2.0,
    startup_segments: int = 1,
    safety: float = 0.8,
    initial_kbps: float = 500.0,
    max_buffer_s: float = 10.0,
) -> Session:
    """Play one session of ``session_s`` seconds on trace ``tr``.

    Each rendition is a dict with ``height``, ``kbps`` (average), ``segments`` (bytes per
    segment, looped as needed) and optionally ``ready_s`` (seconds after the viewer
    pressed play when it becomes available; default 0).
    """
    if not renditions:
        raise ValueError("no renditions to play")
    rends = sorted(renditions, key=lambda r: float(r["kbps"]))
    n_segments = max(1, round(session_s / segment_s))
    t = 2 * tr.rtt_ms / 1000  # master + media playlist
    first_ready = min(float(r.get("ready_s", 0.0)) for r in rends)
    t = max(t, first_ready + 2 * tr.rtt_ms / 1000)
    samples: list[float] = []
    buffer_s = 0.0
    playing_since: float | None = None
    ttff = 0.0
    rebuffer_s, events, switches, total_bytes = 0.0, 0, 0, 0
    heights: list[int] = []
    for i in range(n_segments):
        estimate = len(samples[-3:]) / sum(1 / s for s in samples[-3:]) if samples else initial_kbps
        ready = [r for r in rends if float(r.get("ready_s", 0.0)) <= t] or [rends[0]]
        fits = [r for r in ready if float(r["kbps"]) <= safety * estimate]
        choice = fits[-1] if fits else ready[0]
        segs = list(choice["segments"])
        nbytes = int(segs[i % len(segs)])
        # wait while the buffer is full
        if playing_since is not None and buffer_s > max_buffer_s:
            wait = buffer_s - max_buffer_s
            t += wait
            buffer_s -= wait
        took = _download_s(tr, t, nbytes)
        if playing_since is not None:
            if took > buffer_s:
                events += 1
                rebuffer_s += took - buffer_s
                buffer_s = 0.0
            else:
                buffer_s -= took
        t += took
        samples.append(nbytes * 8 / 1000 / max(took - tr.rtt_ms / 1000, 1e-6))
        buffer_s += segment_s
        total_bytes += nbytes
        if heights and int(choice["height"]) != heights[-1]:
            switches += 1
        heights.append(int(choice["height"]))
        if playing_since is None and i + 1 >= startup_segments:
            playing_since = t
            ttff = t
    return Session(
        trace=tr.name,
        ttff_s=ttff,
        startup_height=heights[0],
        rebuffer_s=rebuffer_s,
        rebuffer_events=events,
        mean_height=float(np.mean(heights)),
        switches=switches,
        bytes=total_bytes,
    )

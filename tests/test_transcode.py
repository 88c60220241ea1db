"""The transcoding lab (unit 07): real ffmpeg, x264 and libvmaf on tiny clips."""

from __future__ import annotations

import math
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from tradeoffs.labs.transcode import (
    FFmpegError,
    JobEngine,
    Rung,
    adaptive_ladder,
    analyse,
    encode,
    error_budget,
    find_ffmpeg,
    fixed_ladder,
    make_clip,
    plan_jobs,
    probe,
    run_ffmpeg,
    run_pipeline,
    schedule,
    score,
    si_ti,
    simulate_schedule,
    slo_report,
)
from tradeoffs.labs.transcode import exercise as ex
from tradeoffs.labs.transcode.encode import rung_from_dict
from tradeoffs.labs.transcode.package import Variant, package_hls, read_media_playlist, write_master
from tradeoffs.labs.transcode.playback import TRACES, simulate_session, trace
from tradeoffs.widgets.transcode import lookup, pareto_hull, row_cost_usd_per_min


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("clips")
    return {
        name: make_clip(name, folder / f"{name}.nut", width=320, height=180, seconds=1)
        for name in ("animation", "zoom", "grain")
    }


# ---------------------------------------------------------------- ffmpeg


def test_bundled_ffmpeg_is_found_and_has_what_the_lab_needs() -> None:
    from tradeoffs.labs.transcode.ffmpeg import has_filter

    assert Path(find_ffmpeg()).is_file()
    assert has_filter("libvmaf") and has_filter("psnr")


def test_ffmpeg_choices_give_clear_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(FFmpegError, match="not an executable"):
        find_ffmpeg(str(tmp_path / "nope"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FFmpegError, match="no ffmpeg on PATH"):
        find_ffmpeg("system")
    fake = tmp_path / "ffmpeg"
    shutil.copy(find_ffmpeg(), fake)
    assert find_ffmpeg("system") == str(fake)
    monkeypatch.setenv("TRADEOFFS_FFMPEG", str(fake))
    assert find_ffmpeg() == str(fake)


def test_run_ffmpeg_reports_failures_and_cpu_time(tmp_path: Path) -> None:
    with pytest.raises(FFmpegError, match="the test job failed") as info:
        run_ffmpeg(["-i", tmp_path / "missing.mp4", "-f", "null", "-"], what="the test job")
    assert "No such file" in str(info.value)
    run = run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x180:d=1", "-f", "null", "-"])
    assert run.cpu_s > 0 and run.wall_s > 0


def test_probe_refuses_what_is_not_a_video(tmp_path: Path, clips: dict) -> None:
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "text.mp4").write_text("not a video\n" * 50)
    with wave.open(str(tmp_path / "sound.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.zeros(8000, np.int16).tobytes())
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=64x64", "-frames:v", "1", tmp_path / "a.png"])
    good = Path(clips["animation"].path)
    (tmp_path / "cut.nut").write_bytes(good.read_bytes()[:300])
    cases = {
        "empty.mp4": "is empty",
        "text.mp4": "not a video",
        "sound.wav": "no video stream",
        "a.png": "single image",
        "cut.nut": "cut.nut",
        "missing.mp4": "does not exist",
    }
    for name, message in cases.items():
        with pytest.raises(FFmpegError, match=message):
            probe(tmp_path / name)
    info = probe(good)
    assert (info.width, info.height, info.frames, info.fps) == (320, 180, 24, 24.0)


def test_make_clip_is_cached_and_checks_its_arguments(tmp_path: Path) -> None:
    a = make_clip("animation", tmp_path / "a.nut", width=160, height=90, seconds=0.5)
    mtime = Path(a.path).stat().st_mtime_ns
    b = make_clip("animation", tmp_path / "a.nut", width=160, height=90, seconds=0.5)
    assert Path(b.path).stat().st_mtime_ns == mtime and b.frames == 12
    with pytest.raises(ValueError, match="no clip"):
        make_clip("cats", tmp_path / "c.nut")
    with pytest.raises(ValueError, match="even"):
        make_clip("zoom", tmp_path / "z.nut", width=161)
    assert not list(tmp_path.glob(".*partial*"))


# ---------------------------------------------------------------- encode and quality


def test_rungs_validate_and_cross_as_plain_data() -> None:
    r = Rung(360, "medium", bitrate_kbps=1000)
    assert rung_from_dict(r.as_dict()) == r
    assert rung_from_dict((240, "veryfast", 400)) == Rung(240, "veryfast", bitrate_kbps=400.0)
    for bad in (
        lambda: Rung(360, "medium"),
        lambda: Rung(360, "medium", bitrate_kbps=1, crf=2),
        lambda: Rung(361, "medium", crf=23),
        lambda: Rung(360, "warp", crf=23),
        lambda: rung_from_dict({"height": 360, "kbps": 3}),
    ):
        with pytest.raises(ValueError):
            bad()


def test_encode_measures_cpu_size_and_bitrate(tmp_path: Path, clips: dict) -> None:
    src = clips["zoom"].path
    fast = encode(src, tmp_path / "fast.mp4", Rung(180, "ultrafast", bitrate_kbps=300))
    slow = encode(src, tmp_path / "slow.mp4", Rung(180, "medium", bitrate_kbps=300))
    crf = encode(src, tmp_path / "crf.mp4", Rung(144, "veryfast", crf=30))
    assert slow.cpu_s > fast.cpu_s > 0
    assert 150 < fast.kbps < 600 and fast.frames == 24
    assert probe(crf.path).height == 144 and probe(crf.path).width == 256
    assert not list(tmp_path.glob(".*partial*"))


def test_quality_at_display_size_frames_aligned(tmp_path: Path, clips: dict) -> None:
    src = clips["zoom"].path
    low = encode(src, tmp_path / "low.mp4", Rung(144, "medium", bitrate_kbps=150))
    display = score(src, low.path, subsample=2)
    native = score(src, low.path, at="native", subsample=2)
    assert native.vmaf > display.vmaf  # the flattering mistake
    assert (display.width, display.height) == (320, 180) and display.frames_scored == 12
    assert 0 < display.ssim <= 1 and display.psnr_y > 15
    same = score(src, src, subsample=4)
    assert same.vmaf > 97 and same.psnr_y >= 60
    short = tmp_path / "short.mp4"
    run_ffmpeg(["-i", src, "-frames:v", "20", "-c:v", "libx264", short])
    with pytest.raises(FFmpegError, match="cannot be aligned"):
        score(src, short)


def test_quality_survives_a_container_with_a_start_offset(tmp_path: Path, clips: dict) -> None:
    src = clips["animation"].path
    mp4 = encode(src, tmp_path / "r.mp4", Rung(180, "veryfast", bitrate_kbps=600), gop_s=0.5)
    package_hls(mp4.path, tmp_path / "hls", segment_s=0.5)
    ts = tmp_path / "joined.ts"
    run_ffmpeg(["-i", tmp_path / "hls" / "index.m3u8", "-c", "copy", ts])  # starts at 1.4 s
    a, b = score(src, mp4.path), score(src, ts)
    assert abs(a.vmaf - b.vmaf) < 0.5


# ---------------------------------------------------------------- analysis and ladders


def test_si_ti_follow_their_definitions() -> None:
    flat = np.full((4, 32, 32), 128, np.uint8)
    assert si_ti(flat) == (0.0, 0.0)
    moving = np.zeros((3, 32, 32), np.uint8)
    moving[1, :, :16] = 255
    si, ti = si_ti(moving)
    assert si > 0 and ti == pytest.approx(127.5, rel=1e-3)
    with pytest.raises(ValueError):
        si_ti(np.zeros((32, 32)))


def test_analysis_ranks_the_clips(clips: dict) -> None:
    a = {name: analyse(info.path, info=info) for name, info in clips.items()}
    assert a["grain"].probe_bits_per_pixel > a["animation"].probe_bits_per_pixel
    assert a["zoom"].ti < a["animation"].ti
    assert set(a["zoom"].as_dict()) >= {"height", "ti", "probe_bits_per_pixel"}


def test_adaptive_ladder_policy_at_its_boundaries() -> None:
    rows = ex.SEEDED_ANALYSES
    assert [r.preset for r in adaptive_ladder(rows["detail_at_threshold"])] == ["medium"] * 5
    assert {r.preset for r in adaptive_ladder(rows["motion_at_threshold"])} == {"veryfast"}
    assert [r.bitrate_kbps for r in adaptive_ladder(rows["half_up"])] == [125.0, 300.0]
    assert [r.bitrate_kbps for r in adaptive_ladder(rows["flat_1080p"])][-1] == 3000.0
    assert [r.height for r in adaptive_ladder(rows["odd_height"])] == [144, 240]
    assert [r.height for r in fixed_ladder(720)] == [144, 240, 360, 480, 720]
    with pytest.raises(ValueError):
        fixed_ladder(100)


# ---------------------------------------------------------------- scheduling and SLOs


def test_schedule_runs_previews_first() -> None:
    jobs = plan_jobs("b", 5.0, fixed_ladder(360)) + plan_jobs("a", 5.0, fixed_ladder(240))
    jobs += plan_jobs("c", 1.0, fixed_ladder(360))
    order = schedule(jobs)
    assert order[:3] == ["c/preview", "a/preview", "b/preview"]
    assert order[3:6] == ["c/144p", "c/240p", "c/360p"]
    assert order[6:] == ["a/144p", "b/144p", "a/240p", "b/240p", "b/360p"]


def test_simulate_schedule_is_deterministic_and_checks_the_order() -> None:
    queue = ex.upload_queue(seed=1, n_titles=5)
    log = simulate_schedule(queue, schedule(queue), workers=2)
    assert len(log) == len(queue) and all(j["finished_s"] >= j["started_s"] for j in log)
    assert all(j["started_s"] >= j["uploaded_s"] for j in log)
    fifo = sorted(queue, key=lambda j: (j["uploaded_s"], j["tier"] != "preview"))
    worse = simulate_schedule(queue, [j["id"] for j in fifo], workers=1)
    from tradeoffs.labs.transcode.slo import title_ttff

    better = title_ttff(simulate_schedule(queue, schedule(queue), workers=1))
    assert sum(better.values()) <= sum(title_ttff(worse).values())
    with pytest.raises(ValueError, match="every job"):
        simulate_schedule(queue, schedule(queue)[1:])


def test_error_budget_arithmetic() -> None:
    assert error_budget(99, 100, 0.99) == {
        "compliance": 0.99,
        "budget_remaining": pytest.approx(0.0),
        "met": 1.0,
    }
    assert error_budget(100, 100, 0.9)["budget_remaining"] == 1.0
    assert error_budget(0, 10, 0.5)["budget_remaining"] == pytest.approx(-1.0)
    assert error_budget(0, 0, 0.9)["compliance"] == 1.0
    for bad in ((1, 2, 1.0), (3, 2, 0.9), (-1, 2, 0.9)):
        with pytest.raises(ValueError):
            error_budget(*bad)


def test_slo_report_counts_a_target_met_exactly() -> None:
    log = ex.job_log(seed=0, n_titles=10)
    from tradeoffs.labs.transcode.slo import title_ttff

    ttffs = title_ttff(log)
    target = sorted(ttffs.values())[4]
    report = slo_report(log, ttff_target_s=target, cost_target_usd_per_min=1.0, objective=0.5)
    assert report["ttff_good"] == sum(v <= target for v in ttffs.values()) >= 5
    assert report["cost_good"] == 10 and report["cost_budget_remaining"] == 1.0
    cpu = sum(j["cpu_s"] for j in log)
    minutes = sum({j["title"]: j["duration_s"] / 60 for j in log}.values())
    assert report["cost_per_min_usd"] == pytest.approx(cpu * 0.045 / 3600 / minutes)


# ---------------------------------------------------------------- packaging and playback


def test_hls_packaging_and_master(tmp_path: Path, clips: dict) -> None:
    mp4 = encode(
        clips["zoom"].path, tmp_path / "r.mp4", Rung(180, "veryfast", bitrate_kbps=400), gop_s=0.5
    )
    package_hls(mp4.path, tmp_path / "180p", segment_s=0.5)
    segments = read_media_playlist(tmp_path / "180p" / "index.m3u8")
    assert len(segments) == 2 and all(s.bytes > 0 for s in segments)
    assert sum(s.duration_s for s in segments) == pytest.approx(1.0, abs=0.05)
    master = write_master(
        tmp_path / "master.m3u8",
        [
            Variant("360p/index.m3u8", 640, 360, 900, 1100),
            Variant("180p/index.m3u8", 320, 180, 400, 480),
        ],
    )
    text = master.read_text()
    assert text.startswith("#EXTM3U") and text.index("180p") < text.index("360p")
    assert "BANDWIDTH=480000,AVERAGE-BANDWIDTH=400000,RESOLUTION=320x180" in text
    probe(tmp_path / "180p" / "index.m3u8")  # ffmpeg itself can play it back


def test_viewer_simulation_measures_startup_and_stalls() -> None:
    ladder = [
        {"height": 144, "kbps": 150, "segments": [40_000]},
        {"height": 360, "kbps": 1000, "segments": [250_000]},
        {"height": 1080, "kbps": 5000, "segments": [1_250_000]},
    ]
    fibre = simulate_session(ladder, TRACES["fibre"])
    slow = simulate_session(ladder, TRACES["3g"])
    assert fibre.startup_height == 144 and fibre.mean_height > 700 and fibre.rebuffer_s == 0
    assert slow.ttff_s > fibre.ttff_s and slow.mean_height < fibre.mean_height
    tunnel = simulate_session([{**ladder[2], "kbps": 200}], TRACES["commuter"])
    assert tunnel.rebuffer_s > 0 and tunnel.rebuffer_events > 0
    late = simulate_session([{**ladder[0], "ready_s": 3.0}], TRACES["fibre"])
    assert late.ttff_s > 3.0
    assert trace("4g", seed=1) != trace("4g", seed=2)
    with pytest.raises(ValueError):
        trace("dialup")


# ---------------------------------------------------------------- the pipeline


def test_pipeline_preview_first_on_a_process_pool(tmp_path: Path, clips: dict) -> None:
    with JobEngine("process", workers=2) as engine:
        result = run_pipeline(
            clips["zoom"].path,
            tmp_path / "out",
            engine=engine,
            ladder="adaptive",
            quality_subsample=4,
            progress=False,
        )
        with pytest.raises(FileExistsError):
            run_pipeline(clips["zoom"].path, tmp_path / "out", engine=engine, progress=False)
    tiers = {j["tier"] for j in result.job_log}
    assert tiers == {"analysis", "preview", "hq"}
    preview = next(j for j in result.job_log if j["tier"] == "preview")
    hq = [j for j in result.job_log if j["tier"] == "hq"]
    assert [j["height"] for j in sorted(hq, key=lambda j: j["height"])] == [144]
    assert 0 < result.ttff_s <= preview["finished_s"] + 0.5 and result.ttff_s < result.all_done_s
    assert all("vmaf" in j for j in hq) and result.cost_per_min_usd() > 0
    text = Path(result.master).read_text()
    assert "144p/index.m3u8" in text and "preview" not in text
    assert (tmp_path / "out" / "preview" / "index.m3u8").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_pipeline_leaves_nothing_behind_on_a_broken_file(tmp_path: Path, clips: dict) -> None:
    broken = tmp_path / "upload.mp4"
    broken.write_bytes(Path(clips["zoom"].path).read_bytes()[:500])
    with JobEngine("process", workers=1) as engine, pytest.raises(FFmpegError):
        run_pipeline(broken, tmp_path / "out", engine=engine, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["upload.mp4"]


def test_pipeline_on_a_dask_local_cluster(tmp_path: Path, clips: dict) -> None:
    """In a process of its own: a Dask client leaves an IO loop behind in the process that
    made it, which slowed later notebook tests in the same pytest worker."""
    import json
    import subprocess
    import sys

    pytest.importorskip("distributed")
    script = (
        "import json, math, sys\n"
        "from tradeoffs.labs.transcode.pipeline import JobEngine, run_pipeline\n"
        "with JobEngine('dask', workers=2) as engine:\n"
        "    r = run_pipeline(sys.argv[1], sys.argv[2], engine=engine, ladder='fixed',"
        " progress=False)\n"
        "print(json.dumps({'engine': r.engine, 'hq': len([j for j in r.job_log"
        " if j['tier'] == 'hq']), 'ttff': r.ttff_s}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(clips["animation"].path), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["engine"] == "dask" and result["hq"] == 1
    assert math.isfinite(result["ttff"])


def test_cli_runs_a_file_and_refuses_a_broken_one(
    tmp_path: Path, clips: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    from tradeoffs.cli import main

    assert (
        main(
            [
                "lab",
                "transcode",
                "run",
                str(clips["grain"].path),
                "--out",
                str(tmp_path / "o"),
                "--quiet",
                "--workers",
                "2",
                "--vmaf-subsample",
                "0",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "time to first frame" in out and "master playlist" in out
    bad = tmp_path / "notes.mov"
    bad.write_text("hello")
    assert main(["lab", "transcode", "run", str(bad), "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "notes.mov is not a video file" in err and "Traceback" not in err
    assert not (tmp_path / "b").exists() and not list(tmp_path.glob(".b.partial*"))
    assert (
        main(
            [
                "lab",
                "transcode",
                "clip",
                "zoom",
                str(tmp_path / "z.nut"),
                "--seconds",
                "0.5",
                "--width",
                "160",
                "--height",
                "90",
            ]
        )
        == 0
    )


# ---------------------------------------------------------------- widget and fixtures


def test_pareto_hull_keeps_the_upper_frontier() -> None:
    pts = [(1, 50), (2, 70), (3, 72), (4, 90), (5, 89), (6, 95), (2.5, 60)]
    assert pareto_hull(pts) == [(1.0, 50.0), (2.0, 70.0), (4.0, 90.0), (6.0, 95.0)]
    assert pareto_hull([]) == []


def test_lookup_and_cost_per_minute() -> None:
    table = [
        {
            "clip": "a",
            "height": 360,
            "preset": "medium",
            "bitrate_kbps": b,
            "cpu_s": 1.0,
            "duration_s": 60.0,
            "vmaf": v,
        }
        for b, v in ((500, 80), (1000, 90))
    ]
    assert lookup(table, clip="a", height=360, preset="medium", rate=900)["vmaf"] == 90
    with pytest.raises(KeyError):
        lookup(table, clip="a", height=240, preset="medium", rate=900)
    assert row_cost_usd_per_min(table[0], 3.6) == pytest.approx(0.001)


def test_exercise_fixtures_are_plain_and_seeded() -> None:
    assert ex.upload_queue(3) == ex.upload_queue(3) != ex.upload_queue(4)
    q = ex.upload_queue(0, n_titles=4)
    assert len({j["uploaded_s"] for j in q if j["tier"] == "preview"}) == 3  # a tie
    assert ex.job_log(2) == ex.job_log(2)
    assert ex.reference_ladder(ex.SEEDED_ANALYSES["grain"])[-1] == {
        "height": 360,
        "preset": "veryfast",
        "bitrate_kbps": 1600.0,
    }

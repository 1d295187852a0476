"""Reading a finished report: the benchmark's speed targets and text table, and the JSON writer every report
shares (``tts benchmark``, ``tts evaluate`` with or without ``--texts``, ``tts evaluate-vocoder``)."""

from __future__ import annotations

import numpy as np

from .timing import STAGES, max_deviation_from_median

__all__ = ["TARGETS", "TARGETS_THREADS", "find_row", "check_targets", "format_report", "write_report"]

# The project's speed targets, stated for 2 CPU threads, as the benchmark has judged them since it was written
# (egs/demo/README.md reports the released voice against them). Name -> threshold; a value <= it passes.
TARGETS_THREADS = 2
TARGETS = {
    "2-step acoustic RTF": 0.01,
    "2-step end-to-end RTF": 0.03,
    "2-step / 4-step denoiser time": 0.55,
    "RTF flat across text length (max deviation from the median)": 0.20,
}


def find_row(results, **kw) -> dict | None:
    """The first result row whose fields equal ``kw``, or None."""
    return next((r for r in results if all(r[k] == v for k, v in kw.items())), None)


def check_targets(report: dict) -> list[dict]:
    """:data:`TARGETS`, judged on batch-1 rows of the longest text measured with the schedule synthesis uses by
    default (searched when the voice has one). Missing rows give ``N/A``."""
    results = report["results"]
    vocs = report["settings"]["vocoders"]
    e2e_voc = "bundle" if "bundle" in vocs else (vocs[0] if vocs else None)
    words = max((r["words"] for r in results), default=None)
    sched2 = "searched" if find_row(results, steps=2, schedule="searched") else "uniform"
    threads = report["machine"]["threads"]
    caveat = "" if threads == TARGETS_THREADS else f"; targets are for {TARGETS_THREADS} threads, ran {threads}"
    out = []

    def add(name, value, detail):
        threshold = TARGETS[name]
        status = "N/A" if value is None else ("PASS" if value <= threshold else "MISS")
        out.append({"name": name, "threshold": threshold, "value": value, "status": status, "detail": detail + caveat})

    a2 = find_row(results, kind="acoustic", steps=2, schedule=sched2, batch_size=1, words=words)
    add("2-step acoustic RTF", a2["rtf"]["median"] if a2 else None,
        f"{words} words, batch 1, {sched2} schedule" if a2 else "no 2-step rows (the voice does not support 2 steps?)")
    e2 = find_row(results, kind="end_to_end", vocoder=e2e_voc, steps=2, schedule=sched2, batch_size=1, words=words)
    add("2-step end-to-end RTF", e2["rtf"]["median"] if e2 else None,
        f"{words} words, batch 1, {sched2} schedule, vocoder {e2e_voc}" if e2 else "no 2-step end-to-end rows")
    d2 = find_row(results, kind="acoustic", steps=2, schedule="uniform", batch_size=1, words=words)
    d4 = find_row(results, kind="acoustic", steps=4, schedule="uniform", batch_size=1, words=words)
    ratio = (d2["stages_s"]["denoiser"] / d4["stages_s"]["denoiser"]
             if d2 and d4 and d4["stages_s"]["denoiser"] > 0 else None)
    add("2-step / 4-step denoiser time", ratio,
        f"uniform schedules, {words} words, batch 1" if ratio is not None else "needs 2- and 4-step rows")
    flat = [r for r in results if r["kind"] == "end_to_end" and r["vocoder"] == e2e_voc and r["steps"] == 2
            and r["schedule"] == sched2 and r["batch_size"] == 1]
    name = "RTF flat across text length (max deviation from the median)"
    if len(flat) >= 2:
        lo, hi = min(r["words"] for r in flat), max(r["words"] for r in flat)
        add(name, max_deviation_from_median([r["rtf"]["median"] for r in flat]),
            f"2-step end-to-end ({e2e_voc}), {lo} to {hi} words, batch 1")
    else:
        add(name, None, "needs 2-step end-to-end rows of two text lengths or more")
    return out


# --- text report -------------------------------------------------------------------------------------------


def _mmm(d: dict, fmt: str = ".3g") -> str:
    return f"{d['median']:{fmt}} ({d['min']:{fmt}}-{d['max']:{fmt}})"


def _params(n: int) -> str:
    return f"{n / 1e6:.2f} M" if n >= 1e5 else f"{n / 1e3:.1f} k" if n else "0"


def format_report(report: dict) -> str:
    """The benchmark report (:func:`prodiff_tts.bench.benchmark.run_benchmark`) as text and Markdown tables."""
    m, model = report["machine"], report["model"]
    p = model["parameters"]
    lines = [
        f"prodiff-tts benchmark of {model['bundle']} (voice {model['voice']})",
        f"device {m['device']} ({m['device_name']}), torch {m['torch']}, {m['threads']} threads "
        f"({m['cpu_count']} cores, load average {m['load_avg_1m']:.2f} at start)" if m["load_avg_1m"] is not None
        else f"device {m['device']} ({m['device_name']}), torch {m['torch']}, {m['threads']} threads",
        "parameters: encoder+variance " + _params(p["encoder_variance"]) + "; "
        + "; ".join(f"denoiser {n} {_params(c)}" for n, c in p["denoisers"].items()) + "; "
        + "; ".join(f"vocoder {n} {_params(c)}" for n, c in p["vocoders"].items()),
        f"matmul peak ({m['matmul_size']}x{m['matmul_size']} float32): {m['matmul_peak_gflops']:.1f} GFLOP/s; "
        f"peak memory (max RSS) {m['peak_rss_mib']:.0f} MiB"
        + (f"; CUDA peak {m['cuda_peak_mib']:.0f} MiB" if m.get("cuda_peak_mib") is not None else ""),
        "",
    ]
    res = report["results"]
    words = sorted({r["words"] for r in res})
    lines.append(f"RTF, median (min-max) of {report['settings']['repeats']} runs after warm-up; "
                 "audio = synthesized speech, pauses between sentences excluded")
    lines.append("| model | steps | schedule | batch | " + " | ".join(f"{w} words" for w in words) + " |")
    lines.append("|---" * (4 + len(words)) + "|")
    keys = []
    for r in res:
        key = (r["kind"], r["vocoder"], r["steps"], r["schedule"], r["batch_size"])
        if key not in keys:
            keys.append(key)
    for kind, voc, k, sched, bs in keys:
        cells = []
        for w in words:
            r = find_row(res, kind=kind, vocoder=voc, steps=k, schedule=sched, batch_size=bs, words=w)
            cells.append(_mmm(r["rtf"]) if r else "")
        name = "acoustic" if kind == "acoustic" else f"end-to-end, {voc}"
        lines.append(f"| {name} | {k} | {sched} | {bs} | " + " | ".join(cells) + " |")

    longest = max(words)
    lines += ["", f"denoiser ({longest}-word text, batch 1; FLOPs = 2 x multiply-adds; achieved = executed FLOPs / "
              "time of the diffusion sampling)",
              "| denoiser | steps | schedule | GFLOP per audio s | denoiser s | achieved GFLOP/s | of matmul peak |",
              "|---|---|---|---|---|---|---|"]
    for pr in report["plans"]:
        r = find_row(res, kind="acoustic", steps=pr["steps"], schedule=pr["schedule"], batch_size=1, words=longest)
        if r is None:
            continue
        g = r["gflops_achieved"]
        achieved = f"{g:.2f} | {100 * r['fraction_of_peak']:.1f}%" if g is not None else "n/a | n/a"
        lines.append(f"| {pr['denoiser']} | {pr['steps']} | {pr['schedule']} ({pr['source']}) | "
                     f"{pr['flop_per_audio_s'] / 1e9:.3g} | {r['stages_s']['denoiser']:.4f} | {achieved} |")
    if report["breakdown"]:
        b0 = report["breakdown"][0]
        lines += ["", f"where the time goes: end-to-end, {b0['steps']} steps ({b0['schedule']}), {b0['words']} words, "
                  "batch 1 (seconds, share of the wall time)",
                  "| vocoder | frontend | encoder/variance | denoiser | vocoder | other | total |",
                  "|---|---|---|---|---|---|---|"]
        for b in report["breakdown"]:
            cells = [f"{b['stages_s'][st]:.4f} ({100 * b['fractions'][st]:.0f}%)" for st in STAGES]
            lines.append(f"| {b['vocoder']} | " + " | ".join(cells) + f" | {b['wall_s']:.4f} |")
    for t in report["time_to_first_audio"]:
        lines.append(f"\ntime to first audio ({t['vocoder']}, {t['steps']} steps, batch 1, first sentence of the "
                     f"{t['words']}-word text = {t['first_sentence_audio_s']:.2f} s of audio): "
                     f"{_mmm(t['seconds'], '.4f')} s")
    lines.append("")
    for t in report["targets"]:
        v = "n/a" if t["value"] is None else f"{t['value']:.4g}"
        lines.append(f"{t['status']:4s} {t['name']} <= {t['threshold']}: {v} ({t['detail']})")
    for n in report["notes"]:
        lines.append(f"note: {n}")
    return "\n".join(lines)


# --- JSON --------------------------------------------------------------------------------------------------


def _finite(obj):
    """NaN/inf -> None, recursively: the JSON reports are strict JSON."""
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, np.generic):
        return _finite(obj.item())
    return obj


def write_report(path, report: dict) -> None:
    """Strict JSON (NaN -> null), written atomically."""
    import json
    from pathlib import Path

    from ..fileio import atomic_write

    text = json.dumps(_finite(report), indent=1, allow_nan=False) + "\n"
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))

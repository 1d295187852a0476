"""Reading a finished report: the benchmark's speed targets and text table, and the JSON writer every report
shares (``tts benchmark``, ``tts evaluate`` with or without ``--texts``, ``tts evaluate-vocoder``)."""

from __future__ import annotations

import numpy as np

from .timing import STAGES, max_deviation_from_median

__all__ = ["TARGETS", "TARGETS_THREADS", "find_row", "combos", "check_targets", "format_report",
           "write_report"]

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
    """The first result row whose fields equal ``kw``, or None (``backend`` / ``precision`` absent from a row
    read as "torch" / "fp32": rows of schema version 1)."""
    return next((r for r in results if all(_field(r, k) == v for k, v in kw.items())), None)


def _field(row: dict, key: str):
    return row.get(key, _AXIS_DEFAULTS.get(key))


_AXIS_DEFAULTS = {"backend": "torch", "precision": "fp32"}


def combos(rows) -> list[tuple[str, str]]:
    """The (backend, precision) pairs of ``rows``, in the order they first appear."""
    return list(dict.fromkeys((_field(r, "backend"), _field(r, "precision")) for r in rows))


def check_targets(report: dict) -> list[dict]:
    """:data:`TARGETS`, judged for each (backend, precision) on its batch-1 rows of the longest text measured
    with the schedule synthesis uses by default (searched when the voice has one). Missing rows give ``N/A``."""
    out = []
    for backend, precision in combos(report["results"]) or [("torch", "fp32")]:
        rows = [r for r in report["results"] if (_field(r, "backend"), _field(r, "precision")) == (backend, precision)]
        for t in _targets(rows, report):
            out.append({"backend": backend, "precision": precision, **t})
    return out


def _targets(results: list[dict], report: dict) -> list[dict]:
    vocs = report["settings"]["vocoders"]
    measured = [v for v in vocs if find_row(results, kind="end_to_end", vocoder=v)]  # a backend may lack some
    e2e_voc = "bundle" if "bundle" in measured else (measured or vocs or [None])[0]
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


def _num(v, spec: str) -> str:
    return "n/a" if v is None else format(v, spec)


def _header(report: dict) -> list[str]:
    m, model = report["machine"], report["model"]
    p = model["parameters"]
    pr = model.get("preset")
    ort = f", onnxruntime {m['onnxruntime']}" if m.get("onnxruntime") else ""
    source = (f"preset {pr['name']} with random weights (seed {pr['seed']}), {pr['frames_per_phoneme']} frames per "
              "phoneme" if pr else f"{model['bundle']} (voice {model['voice']})")
    lines = [
        f"prodiff-tts benchmark of {source}",
        f"device {m['device']} ({m['device_name']}), torch {m['torch']}{ort}, {m['threads']} threads "
        f"({m['cpu_count']} cores, load average {m['load_avg_1m']:.2f} at start)" if m["load_avg_1m"] is not None
        else f"device {m['device']} ({m['device_name']}), torch {m['torch']}{ort}, {m['threads']} threads",
    ]
    ox = model.get("onnx")
    if ox:
        cal = ox["calibration"]
        lines.append(f"onnx backend: exported for {', '.join(map(str, ox['steps']))} step(s) (opset {ox['opset']}"
                     + (f", int8 calibrated on {cal['texts']} texts ({cal['sentences']} sentences)" if cal else "")
                     + f") in {ox['export_s']:.1f} s, untimed; schedules "
                     + ", ".join(f"{k} steps {v}" for k, v in ox["schedules"].items())
                     + f"; end-to-end vocoders: {', '.join(ox['vocoders']) or 'none'}")
    if pr:
        c = pr["parameters"]
        lines.append(f"acoustic model: {c['inference']:,} parameters ({_params(c['inference'])}) for inference: "
                     f"encoder {_params(c['encoder'])}, variance adaptor {_params(c['variance'])}, denoiser "
                     f"{_params(c['denoiser'])} (+ aligner {_params(c['aligner'])}, training only)")
    lines += [
        "parameters: encoder+variance " + _params(p["encoder_variance"]) + "; "
        + "; ".join(f"denoiser {n} {_params(c)}" for n, c in p["denoisers"].items()) + "; "
        + "; ".join(f"vocoder {n} {_params(c)}" for n, c in p["vocoders"].items()),
        f"matmul peak ({m['matmul_size']}x{m['matmul_size']} float32): {m['matmul_peak_gflops']:.1f} GFLOP/s; "
        f"native bfloat16: {'yes' if m.get('native_bf16') else 'no'}; "
        f"peak memory (max RSS) {m['peak_rss_mib']:.0f} MiB"
        + (f"; CUDA peak {m['cuda_peak_mib']:.0f} MiB" if m.get("cuda_peak_mib") is not None else ""),
        "",
    ]
    return lines


def format_report(report: dict) -> str:
    """The benchmark report (:func:`prodiff_tts.bench.benchmark.run_benchmark`) as text and Markdown tables."""
    lines = _header(report)
    res = report["results"]
    words = sorted({r["words"] for r in res})
    lines.append(f"RTF, median (min-max) of {report['settings']['repeats']} runs after warm-up; "
                 "audio = synthesized speech, pauses between sentences excluded")
    lines.append("| model | backend | precision | steps | schedule | batch | "
                 + " | ".join(f"{w} words" for w in words) + " |")
    lines.append("|---" * (6 + len(words)) + "|")
    keys = []
    for r in res:
        key = (_field(r, "backend"), _field(r, "precision"), r["kind"], r["vocoder"], r["steps"], r["schedule"],
               r["batch_size"])
        if key not in keys:
            keys.append(key)
    for backend, precision, kind, voc, k, sched, bs in keys:
        cells = []
        for w in words:
            r = find_row(res, backend=backend, precision=precision, kind=kind, vocoder=voc, steps=k, schedule=sched,
                         batch_size=bs, words=w)
            cells.append(_mmm(r["rtf"]) if r else "")
        name = "acoustic" if kind == "acoustic" else f"end-to-end, {voc}"
        lines.append(f"| {name} | {backend} | {precision} | {k} | {sched} | {bs} | " + " | ".join(cells) + " |")

    longest = max(words)
    lines += _acoustic_ms_lines(res, longest)
    lines += ["", f"denoiser ({longest}-word text, batch 1; FLOPs = 2 x multiply-adds; achieved = executed FLOPs / "
              "time of the diffusion sampling; peak = the float32 matmul's, in every precision)",
              "| denoiser | backend | precision | steps | schedule | GFLOP per audio s | denoiser s | "
              "achieved GFLOP/s | of matmul peak |",
              "|---|---|---|---|---|---|---|---|---|"]
    for backend, precision in combos(res):
        for pr in report["plans"]:
            r = find_row(res, backend=backend, precision=precision, kind="acoustic", steps=pr["steps"],
                         schedule=pr["schedule"], batch_size=1, words=longest)
            if r is None:
                continue
            g = r["gflops_achieved"]
            achieved = f"{g:.2f} | {100 * r['fraction_of_peak']:.1f}%" if g is not None else "n/a | n/a"
            lines.append(f"| {pr['denoiser']} | {backend} | {precision} | {pr['steps']} | {pr['schedule']} "
                         f"({pr['source']}) | {pr['flop_per_audio_s'] / 1e9:.3g} | {r['stages_s']['denoiser']:.4f} | "
                         f"{achieved} |")
    if report["breakdown"]:
        b0 = report["breakdown"][0]
        lines += ["", f"where the time goes: end-to-end, {b0['steps']} steps ({b0['schedule']}), {b0['words']} words, "
                  "batch 1 (seconds, share of the wall time)",
                  "| vocoder | backend | precision | frontend | encoder/variance | denoiser | vocoder | other "
                  "| total |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for b in report["breakdown"]:
            cells = [f"{b['stages_s'][st]:.4f} ({100 * b['fractions'][st]:.0f}%)" for st in STAGES]
            lines.append(f"| {b['vocoder']} | {_field(b, 'backend')} | {_field(b, 'precision')} | "
                         + " | ".join(cells) + f" | {b['wall_s']:.4f} |")
    for t in report["time_to_first_audio"]:
        lines.append(f"\ntime to first audio ({_field(t, 'backend')} {_field(t, 'precision')}, {t['vocoder']}, "
                     f"{t['steps']} steps, batch 1, first sentence of the {t['words']}-word text = "
                     f"{t['first_sentence_audio_s']:.2f} s of audio): {_mmm(t['seconds'], '.4f')} s")
    lines += _quality_lines(report.get("quality"))
    lines.append("")
    several = len(combos(res)) > 1
    for t in report["targets"]:
        v = "n/a" if t["value"] is None else f"{t['value']:.4g}"
        where = f"{_field(t, 'backend')} {_field(t, 'precision')}: " if several else ""
        lines.append(f"{t['status']:4s} {t['name']} <= {t['threshold']}: {v} ({where}{t['detail']})")
    for n in report["notes"]:
        lines.append(f"note: {n}")
    return "\n".join(lines)


def _acoustic_ms_lines(res: list[dict], longest: int) -> list[str]:
    """Milliseconds of the acoustic model on the longest text (batch 1): the whole call, and without the text
    frontend (phoneme ids in, mel out: what a side-by-side run against another toolkit's model compares)."""
    rows = [r for r in res if r["kind"] == "acoustic" and r["batch_size"] == 1 and r["words"] == longest]
    if not rows:
        return []
    lines = ["", f"acoustic model on the {longest}-word text, batch 1: wall time in ms, median (min-max); "
             "without the text frontend = median wall time - median frontend time",
             "| backend | precision | steps | schedule | wall ms | text frontend ms | without frontend ms |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        w, f = r["wall_s"], r["stages_s"]["frontend"]
        lines.append(f"| {_field(r, 'backend')} | {_field(r, 'precision')} | {r['steps']} | {r['schedule']} | "
                     f"{1e3 * w['median']:,.0f} ({1e3 * w['min']:,.0f}-{1e3 * w['max']:,.0f}) | {1e3 * f:,.1f} | "
                     f"{1e3 * (w['median'] - f):,.0f} |")
    return lines


def _quality_lines(quality: dict | None) -> list[str]:
    """The ``quality`` section as a table: each precision against the reference, WER per vocoder."""
    if not quality or not quality["results"]:
        return []
    ref = quality["reference"]
    asr = quality["asr"]
    vocs = list(dict.fromkeys(v for r in quality["results"] for v in (r["wer"] or {})))
    head = (f"quality against {ref['backend']} {ref['precision']} (same texts, seeds and noise: mels frame-aligned; "
            "mel L1 in natural-log units; GV ratio 1 and MS distance 0 dB = unchanged)"
            + (f"; WER by {asr['engine']} {asr['version']} of the end-to-end audio against the text" if asr else
               "; no WER (--asr whisper)"))
    cols = ["backend", "precision", "steps", "schedule", "sentences", "mel L1", "mel L1, worst sentence",
            "GV ratio", "MS dist dB", *(f"WER {v}" for v in vocs)]
    lines = ["", head, "| " + " | ".join(cols) + " |", "|---" * len(cols) + "|"]
    for r in quality["results"]:
        wer = r["wer"] or {}
        cells = [r["backend"], r["precision"], r["steps"], r["schedule"],
                 "reference" if r["sentences"] is None else r["sentences"], _num(r["mel_l1"], ".4g"),
                 _num(r["mel_l1_max"], ".4g"), _num(r["gv_ratio"], ".4f"), _num(r["ms_distance_db"], ".3f"),
                 *(_num(wer.get(v), ".3f") for v in vocs)]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return lines


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

"""Markdown tables of the evaluation reports (``tts evaluate``)."""

from __future__ import annotations

from .bootstrap import format_differences
from .naturalness import MOS_HEADER, mos_ceiling_line, mos_cells


def fmt(v, spec: str) -> str:
    """A number, or n/a for a metric that does not apply."""
    return "n/a" if v is None else format(v, spec)


def row_labels(rows: list[dict], fields=("steps", "schedule", "denoiser", "vocoder")) -> list[str]:
    """Short names of report rows: the fields that differ between them (all of them if none do)."""
    varying = [f for f in fields if len({str(r.get(f)) for r in rows}) > 1] or list(fields)
    return [", ".join(f"{r.get(f)} steps" if f == "steps" else str(r.get(f)) for f in varying) for r in rows]


def format_evaluation(report: dict) -> str:
    """Markdown table of :func:`evaluate_bundle`'s report."""
    asr, mos = report["asr"], report.get("mos")
    lines = [
        f"{report['items']} '{report['split']}' utterances of {report['data']}; voice {report['bundle']}; "
        f"free-running (predicted durations, seed {report['seed']} + item index), DTW-aligned to the recording",
        "| steps | schedule | denoiser | vocoder | log-mel L1 (DTW) | MCD dB | F0 RMSE Hz | V/UV error "
        "| L1 to teacher | teacher-forced L1 | GV ratio | MS dist dB | Fréchet mel | Fréchet Whisper |"
        + (" WER | CER |" if asr else "") + (MOS_HEADER if mos else ""),
        "|---" * (14 + (2 if asr else 0) + (3 if mos else 0)) + "|",
    ]
    for r in report["results"]:
        sched = r["schedule"] if r["schedule"] == r["source"] else f"{r['schedule']} -> {r['source']}"
        line = (f"| {r['steps']} | {sched} | {r['denoiser']} | {r.get('vocoder', report['vocoder'])} | "
                f"{fmt(r['mel_l1_dtw'], '.4f')} | {fmt(r['mcd_db'], '.3f')} | {fmt(r['f0_rmse_hz'], '.1f')} | "
                f"{fmt(r['vuv_error'], '.3f')} | {fmt(r['l1_to_teacher_dtw'], '.4f')} | "
                f"{fmt(r['teacher_forced_mel_l1'], '.4f')} | {fmt(r.get('gv_ratio'), '.3f')} | "
                f"{fmt(r.get('ms_distance_db'), '.2f')} | {fmt(r.get('frechet_mel'), '.2f')} | "
                f"{fmt(r.get('frechet_whisper'), '.2f')} |")
        if asr:
            line += f" {fmt(r['wer'], '.3f')} | {fmt(r['cer'], '.3f')} |"
        lines.append(line + (mos_cells(r) if mos else ""))
    tr = report["teacher_reference"]
    if tr:
        lines.append(f"L1 to teacher: log-mel L1 (DTW) to the {tr['denoiser']} at {tr['steps']} steps, same text and seed")
    lines.append("GV ratio (1 = as varied as the recordings; lower = over-smoothed), modulation-spectrum distance and "
                 "Fréchet distances: the set of vocoded utterances against the set of recordings (0 = same)")
    if asr:
        rec = asr["recordings"]
        ceiling = f"WER {rec['wer']:.3f}, CER {rec['cer']:.3f}" if rec else "n/a"
        lines.append(f"ASR {asr['engine']} {asr['version'] or ''}: on the recordings themselves (ceiling) {ceiling}")
    if mos:
        lines.append(mos_ceiling_line(mos))
    lines += format_differences(report.get("bootstrap"), row_labels(report["results"]))
    lines += [f"note: {n}" for n in report["notes"]]
    return "\n".join(lines)

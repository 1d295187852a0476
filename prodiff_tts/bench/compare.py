"""Paired comparison of finished reports (``tts compare``): rows of several ``tts evaluate`` reports scored on
the same sentences, for instance two voices on the same ``--texts`` file (one report per voice, since a run
scores one voice).

A report keeps what each item was heard as (the recognizer's transcript, DNSMOS) but not the audio, so the
comparison redraws the item-level measures only: WER, CER and DNSMOS OVRL. The set measures (GV, MS, Fréchet)
compare a voice with its own recordings and are not comparable across voices anyway.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .bootstrap import ItemStatistics, format_differences, paired_bootstrap
from .evaluate_table import fmt, row_labels

COMPARABLE_KINDS = ("intelligibility", "evaluate")


def load_report(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"report not found: {path}")
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path} is not a JSON report ({e.__class__.__name__})") from None
    kind = report.get("kind") if isinstance(report, dict) else None
    if kind not in COMPARABLE_KINDS:
        raise ValueError(f"{path}: a report of `tts evaluate` is needed (kind {' or '.join(COMPARABLE_KINDS)}), "
                         f"got kind {kind!r}")
    return report


def _items(report: dict, row: dict, path: str) -> tuple[list[str], list[str], list[str], list[float | None]]:
    """(keys, normalized texts, transcripts, DNSMOS OVRL) of one row, item by item."""
    per_item = row.get("per_item") or []
    if report["kind"] == "intelligibility":
        keys = [it["text"] for it in per_item]
    else:
        keys = [it["id"] for it in per_item]
    if any(it.get("transcript") is None or it.get("normalized") is None for it in per_item) or not per_item:
        raise ValueError(f"{path}: its rows carry no per-item transcripts and normalized texts (rerun `tts evaluate` "
                         f"with --asr)")
    return (keys, [it["normalized"] for it in per_item], [it["transcript"] for it in per_item],
            [(it.get("dnsmos") or {}).get("dnsmos_ovrl") for it in per_item])


def compare_reports(paths: Sequence[str | Path], resamples: int = 500, level: float = 0.95, seed: int = 0) -> dict:
    """Every row of every report, with intervals of WER, CER (and DNSMOS OVRL where every row has it) and each
    row's paired difference to the first row; all rows must score the same items with the same recognizer."""
    if len(paths) < 1:
        raise ValueError("no report given")
    rows, labels, keys0, asr0 = [], [], None, None
    with_mos = True
    for path in paths:
        report = load_report(path)
        asr = report.get("asr") or {}
        engine = (asr.get("engine"), asr.get("version"))
        if asr0 is None:
            asr0 = engine
        elif engine != asr0:
            raise ValueError(f"{path}: scored by {engine[0]} {engine[1]}, the first report by {asr0[0]} {asr0[1]}: "
                             f"error rates of different recognizers do not compare")
        names = row_labels(report["results"])
        voice = Path(str(report.get("bundle", "?"))).name
        for row, name in zip(report["results"], names):
            keys, texts, hyps, mos = _items(report, row, str(path))
            if keys0 is None:
                keys0 = keys
            elif keys != keys0:
                raise ValueError(f"{path}: scores other sentences than the first report ({len(keys)} vs "
                                 f"{len(keys0)} items, or another order): paired comparison needs the same ones")
            with_mos &= all(q is not None for q in mos)
            rows.append((texts, hyps, mos))
            labels.append(f"{voice}: {name}" if len(report["results"]) > 1 else f"{voice}, {row['vocoder']}")
    stats = [ItemStatistics(texts=t, transcripts=h, dnsmos=m if with_mos else None) for t, h, m in rows]
    boot = paired_bootstrap(stats, resamples=resamples, level=level, seed=seed)
    values = [{k: float(v[0]) for k, v in s.measures(np.ones((1, s.n))).items()} for s in stats]
    return {"kind": "compare", "reports": [str(p) for p in paths], "asr": {"engine": asr0[0], "version": asr0[1]},
            "items": len(keys0), "rows": [{"label": lab, **val} for lab, val in zip(labels, values)],
            "bootstrap": boot}


def format_comparison(result: dict) -> str:
    boot = result["bootstrap"]
    pct = round(100 * boot["level"])
    measures = [m for m in ("wer", "cer", "dnsmos_ovrl") if m in result["rows"][0]]
    names = {"wer": "WER", "cer": "CER", "dnsmos_ovrl": "DNSMOS OVRL"}
    spec = {"wer": ".3f", "cer": ".3f", "dnsmos_ovrl": ".2f"}
    lines = [f"{result['items']} items scored by {result['asr']['engine']} {result['asr']['version']}; "
             f"{pct}% bootstrap intervals ({boot['resamples']} redraws of the items)",
             "| row | " + " | ".join(f"{names[m]} [{pct}%]" for m in measures) + " |",
             "|---" * (len(measures) + 1) + "|"]
    for row, iv in zip(result["rows"], boot["rows"]):
        cells = [f"{fmt(row[m], spec[m])} [{iv[m][0]:{spec[m]}}, {iv[m][1]:{spec[m]}}]" for m in measures]
        lines.append(f"| {row['label']} | " + " | ".join(cells) + " |")
    return "\n".join(lines + format_differences(boot, [r["label"] for r in result["rows"]]))

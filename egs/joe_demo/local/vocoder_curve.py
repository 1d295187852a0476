#!/usr/bin/env python
"""The [listen] measures of vocoder checkpoints against generator steps (resynthesis of held-out recordings,
Whisper), beside Griffin-Lim: the curve that says whether more GAN steps would pay.

    python egs/joe_demo/local/vocoder_curve.py CKPT [CKPT ...] --data egs/joe_demo/data/prepared \
        --out egs/joe_demo/exp/vocoder_curve [--items 20] [--threads 1]

Each checkpoint (a Lightning checkpoint of `tts train experiment=vocoder_*`) is exported and scored with
`tts evaluate-vocoder`'s code (Whisper and DNSMOS); one JSON per checkpoint lands in --out (an existing one is reused) and a
markdown table is printed. Griffin-Lim is scored once (griffin-lim.json).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import torch

from prodiff_tts.bench.vocoder_eval import evaluate_vocoders
from prodiff_tts.fileio import atomic_write_text
from prodiff_tts.training.vocoder_export import export_vocoder

COLUMNS = ("wer", "cer", "frechet_whisper", "gv_ratio", "ms_distance_db", "f0_rmse_hz", "vuv_error", "mel_l1",
           "dnsmos_ovrl", "dnsmos_sig", "dnsmos_p808")


def generator_steps(ckpt: Path) -> int:
    """Generator steps of a checkpoint: one optimizer step per batch before the GAN phase (or without
    discriminators), two after it."""
    c = torch.load(str(ckpt), map_location="cpu", weights_only=True)
    hp = c["hyper_parameters"]
    mel_only = int(hp.get("mel_only_steps", 0))
    g = int(c["global_step"])
    if not hp.get("discriminators") or g <= mel_only:
        return g
    return mel_only + (g - mel_only) // 2


def score(spec: str, data: Path, items: int, threads: int) -> dict:
    report = evaluate_vocoders(data, [spec], items=items, threads=threads, asr="whisper", mos="dnsmos")
    row = report["results"][0]
    return {"machine": report["machine"], "items": report["items"], "asr": report["asr"], "mos": report["mos"],
            **{k: row.get(k) for k in COLUMNS}, "rtf": row.get("rtf")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoints", nargs="+", type=Path)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    gl = args.out / "griffin-lim.json"
    if not gl.exists() or "dnsmos_ovrl" not in json.loads(gl.read_text()):
        atomic_write_text(gl, json.dumps(score("griffin-lim", args.data, args.items, args.threads), indent=1))
    rows.append(("Griffin-Lim (32 it.)", json.loads(gl.read_text())))
    for ckpt in args.checkpoints:
        steps = generator_steps(ckpt)
        path = args.out / f"step{steps:06d}.json"
        if not path.exists() or "dnsmos_ovrl" not in json.loads(path.read_text()):  # scored before --mos
            with tempfile.TemporaryDirectory() as tmp:
                export_vocoder(ckpt, Path(tmp) / "voc")
                result = score(str(Path(tmp) / "voc"), args.data, args.items, args.threads)
            atomic_write_text(path, json.dumps({"checkpoint": str(ckpt), "generator_steps": steps, **result},
                                               indent=1))
        rows.append((f"{steps}", json.loads(path.read_text())))
    print("| vocoder / generator steps | WER | CER | Fréchet Whisper | GV ratio | MS dist dB | F0 RMSE Hz | V/UV | "
          "log-mel L1 | DNSMOS OVRL | SIG | P.808 |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for name, r in rows:
        print(f"| {name} | " + " | ".join("–" if r.get(k) is None else f"{r[k]:.3f}" for k in COLUMNS) + " |")
    first = rows[0][1]
    rec = (first.get("mos") or {}).get("recordings") or {}
    print(f"\n{first['items']} held-out recordings of {args.data}; {first['asr']['engine']}; "
          f"{first['machine']['cpu']}, {first['machine']['threads']} thread(s); DNSMOS OVRL of the recordings: "
          + ("–" if not rec else f"{rec['dnsmos_ovrl']:.3f}"))


if __name__ == "__main__":
    main()

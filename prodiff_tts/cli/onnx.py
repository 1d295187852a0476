"""``tts export-onnx``: a voice bundle to a directory of ONNX graphs that ``prodiff_tts.onnx.runtime.OnnxVoice``
runs with onnxruntime and numpy only (docs/onnx.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import CLIError, add_voice_args, positive_int, progress, voice_path


def add_export_onnx(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export-onnx", help="export a voice to ONNX graphs (onnxruntime inference without torch)",
                       description="Export a voice bundle to ONNX (pip install 'prodiff-tts[onnx]'): the encoder and "
                                   "variance adaptor, each denoiser step of the step plans asked for (timestep and "
                                   "layer mask baked in), the voice's vocoder, and manifest.json. --int8 adds int8 "
                                   "step graphs quantized after calibration on each step's own inputs.")
    add_voice_args(p)
    p.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="directory to write (new, empty, or an earlier export, which is replaced)")
    p.add_argument("--steps", type=positive_int, nargs="+", default=[2], metavar="K",
                   help="step counts to export, each served as the voice serves it (default: 2)")
    p.add_argument("--schedule", choices=["searched", "uniform"], default="searched",
                   help="timesteps of the plans: the voice's searched schedule where it has one (default), or uniform")
    p.add_argument("--int8", action="store_true",
                   help="also write int8 step graphs (static quantization, calibrated per step)")
    p.add_argument("--calibration-texts", type=positive_int, default=None, metavar="N",
                   help="calibration sentences run through the fp32 plan for --int8 (default 16, at most 32)")
    p.set_defaults(func=_run_export_onnx)


def _run_export_onnx(args: argparse.Namespace) -> int:
    if args.calibration_texts is not None and not args.int8:
        raise CLIError("--calibration-texts is for --int8")
    for module in ("onnx", "onnxruntime") if args.int8 else ("onnx",):
        try:
            __import__(module)
        except ImportError:
            raise CLIError(f"tts export-onnx needs {module}, which is not installed: "
                           "pip install 'prodiff-tts[onnx]'") from None
    from ..onnx.export import export_onnx

    bundle = voice_path(args)
    manifest = export_onnx(bundle, args.out, args.steps, int8=args.int8,
                           calibration_texts=args.calibration_texts or 16, schedule=args.schedule,
                           progress=progress)
    precisions = "fp32 and int8" if manifest.int8 else "fp32"
    print(f"tts: exported voice {manifest.voice!r} ({', '.join(map(str, sorted(manifest.plans)))} step(s), "
          f"{precisions}; vocoders {', '.join(sorted(manifest.vocoders))}, default {manifest.default_vocoder}) "
          f"to {args.out}", file=sys.stderr)
    return 0

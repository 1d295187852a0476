"""Measuring a voice: ``tts benchmark`` (speed), ``tts evaluate`` (quality against held-out recordings, or any
sentences with a recognizer) and ``tts evaluate-vocoder`` (resynthesis quality and speed of vocoders)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

from .common import (
    CLIError,
    add_voice_args,
    check_report_path,
    non_negative_int,
    positive_int,
    progress,
    voice_path,
    warn_slow_precision,
)


def _check_vocoder_names(names: Sequence[str]) -> None:
    from ..vocoders import VOCODER_NAMES

    for name in names:
        if name not in (*VOCODER_NAMES, "bundle"):
            raise CLIError(f"unknown vocoder {name!r}; choose from {', '.join(VOCODER_NAMES)}, or 'bundle' "
                           "(the voice's own)")



def add_benchmark(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("benchmark", help="real-time factor of a voice: acoustic model and end to end",
                       description="RTF = synthesis wall time / duration of the audio produced, after warm-up, "
                                   "median and min-max of the repeats, on fixed English texts of 5 to 200 words; "
                                   "denoiser FLOPs and achieved GFLOP/s against a matmul peak, time to first audio, "
                                   "a stage breakdown and PASS/MISS lines for the speed targets, per backend "
                                   "(torch, onnx) and precision; the quality of each against torch fp32's output. "
                                   "--preset measures a model size with random weights instead of a voice. The "
                                   "--json schema is documented in prodiff_tts/bench/benchmark.py; docs/speed.md "
                                   "has examples.")
    add_voice_args(p)
    p.add_argument("--preset", choices=["demo", "ljspeech", "tiny"], default=None,
                   help="instead of a voice: the acoustic model at this preset with random weights (seeded by "
                        "--seed), fixed --frames-per-phoneme, uniform step plans, Griffin-Lim and an untrained "
                        "iSTFT vocoder (speed only: the speech is noise)")
    p.add_argument("--frames-per-phoneme", type=positive_int, default=None, metavar="N",
                   help="with --preset: frames of every phoneme (default 8)")
    p.add_argument("--steps", type=positive_int, nargs="+", default=None, metavar="K",
                   help="step counts (default: each of 1 2 4 8 the voice supports, plus the teacher's largest)")
    p.add_argument("--backends", nargs="+", choices=["torch", "onnx"], default=["torch"], metavar="B",
                   help="torch and/or onnx (the voice exported to ONNX in a temporary directory, untimed, and run "
                        "by onnxruntime; needs pip install 'prodiff-tts[onnx]'): rows per backend (default torch)")
    p.add_argument("--precision", nargs="+", choices=["fp32", "bf16", "int8"], default=["fp32"], metavar="P",
                   help="fp32; bf16 (torch only: denoiser weights in bfloat16, a trained vocoder under bfloat16 "
                        "autocast); int8 (onnx only: int8 step graphs, calibrated at export): rows per backend "
                        "and precision, each one's output scored against torch fp32's; a pair a backend lacks "
                        "is skipped with a note (default fp32)")
    p.add_argument("--vocoders", nargs="+", default=None, metavar="NAME",
                   help="end-to-end vocoders (default: griffin-lim, and 'bundle' when the voice has one; with "
                        "--preset: griffin-lim istft)")
    p.add_argument("--asr", nargs="?", const="whisper", default=None, choices=["whisper", "pocketsphinx"],
                   help="also the WER/CER of each precision's end-to-end audio against the text (whisper: "
                        "faster-whisper tiny.en, extra 'eval')")
    p.add_argument("--asr-model", default=None, metavar="DIR", help="a faster-whisper model directory")
    p.add_argument("--batch-size", type=positive_int, default=8, help="sentences per call of the batched rows")
    p.add_argument("--repeats", type=positive_int, default=3)
    p.add_argument("--warmup", type=int, default=1, help="untimed runs before each measurement (default 1)")
    p.add_argument("--threads", type=positive_int, default=2,
                   help="torch threads, and onnxruntime's intra-op threads (default 2)")
    p.add_argument("--max-words", type=positive_int, default=None, help="only the texts of at most this many words")
    p.add_argument("--seed", type=int, default=0, help="noise seed (and, with --preset, the random weights' seed)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", type=Path, default=None, metavar="PATH", help="write the full report as JSON")
    p.add_argument("--plot", type=Path, default=None, metavar="PATH.png", help="RTF vs steps and vs text length")
    p.set_defaults(func=_run_benchmark)


def _run_benchmark(args: argparse.Namespace) -> int:
    check_report_path(args.json, ".json", "--json")
    check_report_path(args.plot, ".png", "--plot")
    _check_vocoder_names(args.vocoders or [])
    if args.warmup < 0:
        raise CLIError(f"--warmup must be >= 0, got {args.warmup}")
    if args.preset and (args.model is not None or args.voice):
        raise CLIError("--preset measures random weights instead of a voice: give it without --model/--voice")
    if args.frames_per_phoneme is not None and not args.preset:
        raise CLIError("--frames-per-phoneme needs --preset (a voice predicts its own durations)")
    from ..bench.benchmark import BenchmarkSettings, RandomVoice, backend_pairs, run_benchmark
    from ..bench.report import format_report, write_report

    pairs, _ = backend_pairs(args.backends, args.precision)  # one line when no pair is left
    recognizer_check(args)
    if ("torch", "bf16") in pairs:
        warn_slow_precision("bf16")
    settings = BenchmarkSettings(steps=args.steps, vocoders=args.vocoders, batch_size=args.batch_size,
                                 repeats=args.repeats, warmup=args.warmup, threads=args.threads,
                                 max_words=args.max_words, seed=args.seed, device=args.device,
                                 precisions=args.precision, backends=args.backends, asr=args.asr,
                                 asr_model=args.asr_model)
    source = (RandomVoice(args.preset, args.frames_per_phoneme or 8, seed=args.seed) if args.preset
              else voice_path(args))
    report = run_benchmark(source, settings, progress=progress)
    print(format_report(report))
    if args.json:
        write_report(args.json, report)
        print(f"wrote {args.json}")
    if args.plot:
        from ..bench.plots import plot_benchmark

        plot_benchmark(args.plot, report["results"])
        print(f"wrote {args.plot}")
    return 0


def add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="quality of a voice on held-out utterances of a prepared corpus",
                       description="Free-running synthesis (predicted durations, fixed seeds) of held-out texts, "
                                   "scored against the recordings along a DTW path: log-mel L1, MCD (dB), F0 RMSE "
                                   "(Hz) and voicing error of the vocoded audio; distance to the teacher for "
                                   "distilled students; the teacher-forced mel L1 for comparison; optional WER/CER "
                                   "with an offline recognizer (--asr, needs pip install 'prodiff-tts[asr]'). With "
                                   "--texts FILE --asr instead of --data: any sentences, scored by the recognizer "
                                   "alone.")
    add_voice_args(p)
    p.add_argument("--data", type=Path, default=None, help="a `tts prepare` output directory")
    p.add_argument("--texts", type=Path, default=None, metavar="FILE",
                   help="any sentences (one per line), scored by the recognizer (needs --asr); with --data, "
                        "that corpus' recordings are the reference set of GV, modulation spectrum and Fréchet")
    p.add_argument("--split", default="test", help="split of the manifest (default test)")
    p.add_argument("--items", type=positive_int, default=20, help="utterances to score (default 20)")
    p.add_argument("--steps", type=positive_int, nargs="+", default=None, metavar="K",
                   help="step counts (default: each of 1 2 4 8 the voice supports, plus the teacher's largest)")
    p.add_argument("--schedules", nargs="+", choices=["uniform", "searched"], default=["uniform", "searched"])
    p.add_argument("--denoiser", nargs="+", default=None, metavar="NAME",
                   help="'auto' (the voice's choice: a student distilled for the step count, else the teacher) "
                        "and/or denoiser names of the voice, e.g. --denoiser auto teacher: the distilled student "
                        "and the undistilled teacher at the same step counts, side by side (default: auto)")
    p.add_argument("--vocoder", nargs="+", default=None, metavar="VOCODER",
                   help="one or more of: griffin-lim, a saved vocoder (directory), 'bundle' (default: the voice's "
                        "own if any); every step plan is scored through each")
    p.add_argument("--asr", nargs="?", const="whisper", default=None, choices=["whisper", "pocketsphinx"],
                   help="WER/CER with an offline recognizer: whisper (default; faster-whisper tiny.en, extra "
                        "'eval'; also gives the Whisper-embedding Fréchet) or pocketsphinx (extra 'asr')")
    p.add_argument("--asr-model", default=None, metavar="DIR",
                   help="a faster-whisper model directory for --asr whisper (default: the bundled tiny.en)")
    p.add_argument("--mos", nargs="?", const="dnsmos", default=None, choices=["dnsmos"], help=MOS_HELP)
    p.add_argument("--bands-plot", type=Path, default=None, metavar="PATH.png",
                   help="per-band GV ratio and modulation-spectrum distance of every row")
    p.add_argument("--alignments", type=Path, default=None, metavar="DIR",
                   help="reference word end times (<DIR>/<id>.words, e.g. the demo corpus's Festival alignments): "
                        "report the word-boundary error of the learned alignment")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=positive_int, default=2, help="torch threads (default 2)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", type=Path, default=None, metavar="PATH", help="write the full report as JSON")
    p.add_argument("--plot", type=Path, default=None, metavar="PATH.png", help="mels: recording vs generated")
    add_bootstrap_arg(p)
    p.set_defaults(func=_run_evaluate)


def add_bootstrap_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bootstrap", type=non_negative_int, default=500, metavar="N",
                   help="redraws of the items for 95%% intervals of the deciding measures and of each row's paired "
                        "difference to the first row (default 500; 0: none)")


def bootstrap_check(args: argparse.Namespace) -> None:
    if args.bootstrap == 1:
        raise CLIError("--bootstrap needs at least 2 redraws (or 0 for none)")


MOS_HELP = ("reference-free quality prediction of every output and of the recordings: dnsmos (DNSMOS P.835 "
            "OVRL/SIG/BAK and P.808, extra 'eval'; a signal-quality predictor, not a TTS naturalness MOS)")


def recognizer_check(args: argparse.Namespace) -> None:
    """Fail early, in one line, when the recognizer or quality predictor asked for cannot be loaded."""
    if args.asr_model is not None and args.asr != "whisper":
        raise CLIError("--asr-model needs --asr whisper")
    if args.asr:
        from ..bench.asr import make_recognizer

        make_recognizer(args.asr, args.asr_model, threads=1)
    if getattr(args, "mos", None):
        from ..bench.naturalness import make_mos_predictor

        make_mos_predictor(args.mos, threads=1)


def _run_evaluate(args: argparse.Namespace) -> int:
    check_report_path(args.json, ".json", "--json")
    check_report_path(args.plot, ".png", "--plot")
    check_report_path(args.bands_plot, ".png", "--bands-plot")
    bootstrap_check(args)
    if args.texts is not None:
        return _run_evaluate_texts(args)
    if args.data is None:
        raise CLIError("give --data PREPARED (held-out recordings) or --texts FILE --asr (any sentences)")
    if not args.data.is_dir():
        raise CLIError(f"prepared data directory not found: {args.data}")
    recognizer_check(args)
    import torch

    from ..bench.report import write_report
    from ..bench.evaluate import evaluate_bundle
    from ..bench.evaluate_table import format_evaluation

    torch.set_num_threads(args.threads)
    report = evaluate_bundle(voice_path(args), args.data, split=args.split, items=args.items,
                             steps=args.steps, schedules=args.schedules, vocoders=args.vocoder, asr=args.asr,
                             asr_model=args.asr_model, seed=args.seed, device=args.device,
                             denoisers=_denoisers(args), mos=args.mos, bootstrap=args.bootstrap,
                             keep_mels=3 if args.plot else 0, progress=progress)
    mels = report.pop("_mels", None)
    if args.alignments is not None:
        from ..api import Synthesizer
        from ..bench.alignment import word_boundary_errors

        model = Synthesizer(voice_path(args), device=args.device, vocoder="griffin-lim").model
        report["alignment"] = word_boundary_errors(model, args.data, args.alignments, split=args.split,
                                                   items=args.items)
    print(format_evaluation(report))
    if "alignment" in report:
        a = report["alignment"]
        print(f"learned alignment vs reference word ends ({a['utterances']} utterances, {a['words']} words, "
              f"{a['skipped']} skipped): mean {a['mean_ms']:.1f} ms, median {a['median_ms']:.1f} ms, "
              f"{100 * a['within_20ms']:.0f}% within 20 ms, {100 * a['within_50ms']:.0f}% within 50 ms")
    if args.json:
        write_report(args.json, report)
        print(f"wrote {args.json}")
    _write_bands_plot(args.bands_plot, report["results"])
    if args.plot and mels:
        from ..bench.plots import plot_mels

        plot_mels(args.plot, mels["ids"], mels["grid"], mels["columns"])
        print(f"wrote {args.plot}")
    return 0


def _write_bands_plot(path: Path | None, results: list[dict]) -> None:
    rows = [r for r in results if r.get("gv_per_band") is not None]
    if path is None or not rows:
        return
    import numpy as np

    from ..bench.oversmoothing import plot_oversmoothing

    plot_oversmoothing(path, [(f"{r['steps']} steps {r['schedule']}, {r['vocoder']}", np.asarray(r["gv_per_band"]),
                               np.asarray(r["ms_per_band"])) for r in rows])
    print(f"wrote {path}")


def _denoisers(args: argparse.Namespace) -> list[str | None] | None:
    """--denoiser's names, 'auto' as None (the voice's own choice per step count)."""
    return None if not args.denoiser else [None if d == "auto" else d for d in args.denoiser]


def _run_evaluate_texts(args: argparse.Namespace) -> int:
    if args.alignments is not None or args.plot is not None:
        raise CLIError("--texts scores sentences without recordings: it takes no --alignments or --plot")
    if not args.asr:
        raise CLIError("--texts needs --asr: without recordings only the recognizer can score the speech")
    if not args.texts.is_file():
        raise CLIError(f"text file not found: {args.texts}")
    if args.data is not None and not args.data.is_dir():
        raise CLIError(f"prepared data directory not found: {args.data}")
    check_report_path(args.bands_plot, ".png", "--bands-plot")
    recognizer_check(args)
    import torch

    from ..bench.report import write_report
    from ..bench.intelligibility import evaluate_texts, format_intelligibility, read_texts

    torch.set_num_threads(args.threads)
    report = evaluate_texts(voice_path(args), read_texts(args.texts), steps=args.steps,
                            schedules=args.schedules, vocoders=args.vocoder, seed=args.seed, device=args.device,
                            asr=args.asr, asr_model=args.asr_model, reference_data=args.data,
                            reference_split=args.split, reference_items=args.items, progress=progress,
                            denoisers=_denoisers(args), mos=args.mos, bootstrap=args.bootstrap)
    print(format_intelligibility(report))
    _write_bands_plot(args.bands_plot, report["results"])
    if args.json:
        write_report(args.json, report)
        print(f"wrote {args.json}")
    return 0


def add_evaluate_vocoder(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate-vocoder", help="resynthesis quality and CPU speed of vocoders on held-out recordings",
                       description="The log-mel of each held-out recording is vocoded and the log-mel of the result "
                                   "scored against it, frame by frame: log-mel L1, MCD (dB), F0 RMSE (Hz) and voicing "
                                   "error; CPU real-time factor = vocoding time / audio duration with fixed torch "
                                   "threads. The --json schema is in prodiff_tts/bench/vocoder_eval.py.")
    p.add_argument("data", type=Path, help="a `tts prepare` output directory")
    p.add_argument("--vocoders", nargs="+", default=["griffin-lim"], metavar="VOCODER",
                   help="griffin-lim (griffin-lim:N: N iterations instead of 32; griffin-lim:N:pghi: N iterations "
                        "started from the phase gradient heap integration phase), or a trained vocoder (directory "
                        "or .safetensors); default griffin-lim")
    p.add_argument("--split", default="test", help="split of the manifest (default test)")
    p.add_argument("--items", type=positive_int, default=20, help="utterances to score (default 20)")
    p.add_argument("--threads", type=positive_int, default=2, help="torch threads (default 2)")
    p.add_argument("--asr", nargs="?", const="whisper", default=None, choices=["whisper", "pocketsphinx"],
                   help="also WER/CER of the resynthesized speech (and, for whisper, the Whisper-embedding Fréchet)")
    p.add_argument("--asr-model", default=None, metavar="DIR", help="a faster-whisper model directory")
    p.add_argument("--mos", nargs="?", const="dnsmos", default=None, choices=["dnsmos"], help=MOS_HELP)
    p.add_argument("--oracles", action="store_true",
                   help="also split the error into magnitude and phase: rows that put the recording's own phase "
                        "under Griffin-Lim's (and each trained iSTFT vocoder's) magnitude, and Griffin-Lim's phase "
                        "under the recording's magnitude")
    p.add_argument("--json", type=Path, default=None, metavar="PATH", help="write the full report as JSON")
    add_bootstrap_arg(p)
    p.set_defaults(func=_run_evaluate_vocoder)


def _run_evaluate_vocoder(args: argparse.Namespace) -> int:
    check_report_path(args.json, ".json", "--json")
    bootstrap_check(args)
    if not args.data.is_dir():
        raise CLIError(f"prepared data directory not found: {args.data}")
    from ..bench.report import write_report
    from ..bench.vocoder_eval import evaluate_vocoders, format_vocoder_evaluation

    recognizer_check(args)
    # unknown names and unloadable weights raise ValueError (one line, exit 2) before any scoring
    report = evaluate_vocoders(args.data, args.vocoders, split=args.split, items=args.items, threads=args.threads,
                               oracles=args.oracles, progress=progress, asr=args.asr, asr_model=args.asr_model,
                               mos=args.mos, bootstrap=args.bootstrap)
    print(format_vocoder_evaluation(report))
    if args.json:
        write_report(args.json, report)
        print(f"wrote {args.json}")
    return 0



def add_compare(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="paired comparison of `tts evaluate` reports on the same sentences",
                       description="Rows of several `tts evaluate --json` reports (with --asr) scored on the same "
                                   "sentences, e.g. two voices on one --texts file: WER, CER and DNSMOS OVRL with "
                                   "bootstrap intervals, and each row's paired difference to the first row.")
    p.add_argument("reports", type=Path, nargs="+", metavar="REPORT.json")
    p.add_argument("--bootstrap", type=non_negative_int, default=1000, metavar="N",
                   help="redraws of the items (default 1000)")
    p.add_argument("--json", type=Path, default=None, metavar="PATH", help="write the comparison as JSON")
    p.set_defaults(func=_run_compare)


def _run_compare(args: argparse.Namespace) -> int:
    check_report_path(args.json, ".json", "--json")
    if args.bootstrap < 2:
        raise CLIError("--bootstrap needs at least 2 redraws")
    from ..bench.compare import compare_reports, format_comparison
    from ..bench.report import write_report

    result = compare_reports(args.reports, resamples=args.bootstrap)
    print(format_comparison(result))
    if args.json:
        write_report(args.json, result)
        print(f"wrote {args.json}")
    return 0

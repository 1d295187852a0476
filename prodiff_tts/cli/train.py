"""The commands on the training configs: ``tts train``, ``tts distill --teacher CKPT``, ``tts search --model PATH
--steps K`` (each with free Hydra overrides of prodiff_tts/configs/train.yaml), and the steps after training:
``tts export`` (checkpoint -> voice bundle), ``tts export-vocoder`` (vocoder checkpoint -> vocoder
directory or into a bundle) and ``tts generate-mels`` (mels for vocoder fine-tuning)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import CLIError, config_errors, override_value, positive_int, progress, takes_overrides


def add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train with Hydra overrides, e.g. experiment=demo trainer.max_steps=1000",
                       description="Compose prodiff_tts/configs/train.yaml with Hydra overrides and train. "
                                   "Resumes from <run_dir>/checkpoints/last.ckpt when it exists.")
    takes_overrides(p)
    p.add_argument("--print-config", action="store_true", help="print the composed config and exit")
    p.set_defaults(func=_run_train)


def _run_train(args: argparse.Namespace) -> int:
    from omegaconf import OmegaConf

    from ..training.run import compose_config, train

    with config_errors():
        if args.print_config:
            print(OmegaConf.to_yaml(compose_config(args.overrides), resolve=True))
            return 0
        path = train(args.overrides)
    print(f"checkpoint: {path}")
    return 0


def add_distill(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("distill", help="progressive distillation: --teacher CKPT [overrides]",
                       description="Halve the DDIM steps per round (distill.start_steps -> distill.final_steps). "
                                   "Hydra overrides as for `tts train`.")
    p.add_argument("--teacher", type=Path, default=None, metavar="CKPT",
                   help="the teacher checkpoint (RUN/checkpoints/last.ckpt of `tts train`)")
    takes_overrides(p, "Hydra overrides as for `tts train`, e.g. experiment=demo distill.steps_per_round=800",
                    moved={"teacher": "--teacher CKPT"})
    p.set_defaults(func=_run_distill)


def distill_overrides(args: argparse.Namespace) -> list[str]:
    """The Hydra overrides of a parsed ``tts distill``: the task, the teacher and the default run directory."""
    overrides = list(args.overrides)
    if args.teacher is not None:
        overrides.append(f"distill.teacher={override_value(args.teacher)}")
    if not any(o.startswith("distill.teacher=") for o in overrides):
        raise CLIError("give the teacher checkpoint: tts distill --teacher RUN/checkpoints/last.ckpt")
    if not any(o.startswith("run_dir=") for o in overrides):
        overrides.append("run_dir=exp/distill")
    return ["task=distill", *overrides]


def _run_distill(args: argparse.Namespace) -> int:
    overrides = distill_overrides(args)
    from ..training.run import train

    with config_errors():
        path = train(overrides)
    print(f"students and tables in {path}/")
    return 0


def add_search(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="evolutionary search of timesteps and layer masks: --model CKPT|BUNDLE --steps K",
                       description="Two-stage AutoDiffusion-style search for a K-step schedule; writes schedule.json. "
                                   "Hydra overrides as for `tts train` (search.population=..., data.dir=...).")
    p.add_argument("--model", type=Path, default=None, metavar="PATH",
                   help="the model whose schedule is searched: a teacher checkpoint or a voice bundle")
    p.add_argument("--steps", type=positive_int, default=None, metavar="K",
                   help="sampling steps of the schedule (default: search.steps of the config, 2)")
    takes_overrides(p, "Hydra overrides, e.g. experiment=demo data.dir=PREPARED search.population=16",
                    moved={"model": "--model PATH", "steps": "--steps K"})
    p.set_defaults(func=_run_search)


def search_overrides(args: argparse.Namespace) -> list[str]:
    """The Hydra overrides of a parsed ``tts search``: the model, the steps and the default run directory."""
    overrides = list(args.overrides)
    if args.model is not None:
        overrides.append(f"search.model={override_value(args.model)}")
    if args.steps is not None:
        overrides.append(f"search.steps={args.steps}")
    if not any(o.startswith("run_dir=") for o in overrides):
        overrides.append("run_dir=exp/search")
    return overrides


def _run_search(args: argparse.Namespace) -> int:
    from omegaconf import OmegaConf

    from ..search.run import SearchSettings, run_search
    from ..training.run import compose_config

    with config_errors(TypeError):
        cfg = compose_config(search_overrides(args))
        sc = OmegaConf.to_container(cfg.search, resolve=True)
        if not sc.pop("model"):
            raise CLIError("give the model: tts search --model <teacher checkpoint or bundle> --steps K")
        out = sc.pop("out")
        settings = SearchSettings(**sc)
    if cfg.trainer.get("threads"):  # as in train and distill: leaves the other cores to jobs beside it
        import torch

        torch.set_num_threads(int(cfg.trainer.threads))
    r = run_search(cfg.search.model, cfg.data.dir, settings, cfg.run_dir, out, progress=sys.stderr.isatty())
    print(f"{r['denoiser']} at {r['steps']} steps, fitness on {r['held_out']['items']} '{r['held_out']['split']}' "
          f"utterances (lower is better):")
    print("| schedule | timesteps | fitness | mel L1 | Frechet | layer evals |")
    print("|---|---|---|---|---|---|")
    rows = [("uniform", r["uniform"], None), ("searched", r["searched"], None)]
    if "layer_skipping" in r:
        ls = r["layer_skipping"]
        rows.append(("searched + layer skipping", ls, f"{sum(map(sum, ls['layer_masks']))}/{ls['max_layer_evaluations']}"))
    for name, d, evals in rows:
        ts = ", ".join(f"{t:.3f}" for t in d["timesteps"])
        print(f"| {name} | {ts} | {d['fitness']:.4f} | {d['mel_l1']:.4f} | {d['frechet']:.2f} | {evals or 'all'} |")
    if "layer_skipping" in r:
        print(f"layer skipping saves {100 * r['layer_skipping']['flops_saved']:.1f}% of denoiser FLOPs; "
              f"{'used' if r['layer_masks'] else 'not used (worse than uniform)'} by synthesis")
    print(f"{r['fitness_evaluations']} candidates evaluated in {r['search_seconds']} s; written to {r['written_to']}")
    return 0


def add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="teacher checkpoint (+ students, schedules, vocoder) -> voice bundle")
    p.add_argument("checkpoint", type=Path)
    p.add_argument("out", type=Path, help="bundle directory")
    p.add_argument("--voice", default="voice", help="voice name stored in the bundle")
    p.add_argument("--distilled", type=Path, help="a `tts distill` run directory: add its students")
    p.add_argument("--vocoder", type=Path, help="a trained vocoder (directory or checkpoint) to ship")
    p.add_argument("--teacher-steps", type=positive_int, nargs="+", default=[4, 8, 16, 32], metavar="K",
                   help="step counts the teacher serves (default 4 8 16 32; students add their own)")
    p.add_argument("--weights-dtype", choices=["float32", "float16"], default="float32",
                   help="storage precision of the weight files (float16 halves the bundle; it runs in float32)")
    p.set_defaults(func=_run_export)


def _run_export(args: argparse.Namespace) -> int:
    from ..training.export import export_bundle

    cfg = export_bundle(args.checkpoint, args.out, voice=args.voice, distilled=args.distilled, vocoder=args.vocoder,
                        teacher_steps=tuple(sorted(set(args.teacher_steps))), weights_dtype=args.weights_dtype)
    print(f"exported {args.checkpoint} -> {args.out}/ (denoisers: {[d.name for d in cfg.denoisers]})")
    return 0


def add_export_vocoder(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export-vocoder", help="vocoder training checkpoint -> vocoder directory, or into a voice bundle",
                       description="Exports the generator of a vocoder training checkpoint (its moving average when "
                                   "the run kept one; of several checkpoints, the mean of their generators) to a "
                                   "vocoder directory. When OUT is a voice bundle, the "
                                   "vocoder (a checkpoint or a saved vocoder directory) is shipped inside it, stored "
                                   "in the bundle's precision, and --default says whether the voice speaks through "
                                   "it or through Griffin-Lim. --mel-match N sets an iSTFT vocoder's rounds of mel "
                                   "matching (its output rescaled until its mel is the mel it was given).")
    p.add_argument("source", type=Path, nargs="+",
                   help="a vocoder training checkpoint (.ckpt; several of one run: the mean of their generators), "
                        "or a saved vocoder for a bundle")
    p.add_argument("out", type=Path, help="output vocoder directory, or a voice bundle directory")
    p.add_argument("--default", choices=["bundle", "griffin-lim"],
                   help="with a bundle (required there): the voice's default vocoder from now on")
    p.add_argument("--mel-match", type=int, metavar="N", default=None,
                   help="iSTFT vocoder: rounds of mel matching at synthesis (0 = none; default: as trained, or as "
                        "the saved vocoder has it)")
    p.set_defaults(func=_run_export_vocoder)


def _run_export_vocoder(args: argparse.Namespace) -> int:
    if (args.out / "config.yaml").is_file():
        from ..training.export import add_bundle_vocoder

        if args.default is None:
            raise CLIError(f"{args.out} is a voice bundle: say which vocoder it speaks through by default "
                           "(--default bundle or --default griffin-lim)")
        add_bundle_vocoder(args.out, args.source, args.default, args.mel_match)
        print(f"shipped {' + '.join(map(str, args.source))} in {args.out}/vocoder; the voice's default vocoder: {args.default}")
        return 0
    if args.default is not None:
        raise CLIError(f"--default is for a voice bundle, and {args.out} is not one (no config.yaml)")
    for src in args.source:
        if src.suffix != ".ckpt":
            raise CLIError(f"{src} is not a training checkpoint (.ckpt); a saved vocoder needs no export")
        if not src.is_file():
            raise CLIError(f"checkpoint not found: {src}")
    from ..training.vocoder_export import export_vocoder

    out = export_vocoder(args.source, args.out, mel_match_iters=args.mel_match)
    print(f"exported {' + '.join(map(str, args.source))} -> {out}/")
    return 0


def add_generate_mels(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate-mels", help="teacher-forced mels of a voice on its corpus, for vocoder fine-tuning",
                       description="Runs the voice on each recording of a `tts prepare` directory with the "
                                   "recording's own durations (the voice's aligner), pitch and energy, so that every "
                                   "generated frame describes the same stretch of audio, and writes OUT/{id}.npy "
                                   "(natural-log mel [n_mels, frames]) for vocoder.data.mel_dir. Existing files are "
                                   "kept unless --overwrite, so an interrupted run continues.")
    p.add_argument("bundle", type=Path, help="a voice bundle (`tts export`) whose corpus PREPARED is")
    p.add_argument("data", type=Path, help="the `tts prepare` directory of the voice's corpus")
    p.add_argument("out", type=Path, help="output directory of the .npy files")
    p.add_argument("--steps", type=positive_int, default=4, help="sampling steps (default 4)")
    p.add_argument("--schedule", choices=["searched", "uniform"], default="searched")
    p.add_argument("--splits", nargs="+", default=["train", "val"], help="manifest splits (default train val)")
    p.add_argument("--batch-size", type=positive_int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--overwrite", action="store_true", help="regenerate files that exist")
    p.set_defaults(func=_run_generate_mels)


def _run_generate_mels(args: argparse.Namespace) -> int:
    from ..training.generated_mels import generate_mels

    s = generate_mels(args.bundle, args.data, args.out, steps=args.steps, schedule=args.schedule, splits=args.splits,
                      batch_size=args.batch_size, seed=args.seed, overwrite=args.overwrite, progress=progress)
    print(f"wrote {s['written']} mels to {args.out}/ ({s['kept']} kept); {s['steps']} steps, {s['schedule']} "
          f"schedule, {s['denoiser']} denoiser; train a vocoder on them with vocoder.data.mel_dir={args.out}")
    return 0


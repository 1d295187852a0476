"""The `tts` argument style: inputs and settings are options (`tts search --model PATH --steps K`, `tts distill
--teacher CKPT`), Hydra overrides stay free positionals for the training configs, the old `key=value` forms of
those options are refused in one line, and every subcommand's --help works. Nothing here trains."""

import subprocess
import sys

import pytest

from prodiff_tts.cli import build_parser, main
from prodiff_tts.cli.common import override_value
from prodiff_tts.cli.main import COMMANDS
from prodiff_tts.cli.train import distill_overrides, search_overrides

from cli_checks import one_line_error

SUBCOMMANDS = ["prepare", "train", "distill", "search", "export", "export-vocoder", "export-onnx", "generate-mels",
               "synthesize", "serve", "voices", "benchmark", "evaluate", "evaluate-vocoder", "compare"]


def test_every_subcommand_has_a_working_help(capsys):
    assert len(COMMANDS) == len(SUBCOMMANDS)
    assert main(["--help"]) == 0
    top = capsys.readouterr().out
    for sub in SUBCOMMANDS:
        assert sub in top
        assert main([sub, "--help"]) == 0, sub
        out = capsys.readouterr().out
        assert out.startswith(f"usage: tts {sub}"), out


def test_search_takes_the_model_and_steps_as_options_among_hydra_overrides():
    args = build_parser().parse_args(["search", "experiment=fixture", "--model", "exp/bundle", "data.dir=D",
                                      "--steps", "4", "search.population=3"])
    assert args.command == "search" and str(args.model) == "exp/bundle" and args.steps == 4
    assert args.overrides == ["experiment=fixture", "data.dir=D", "search.population=3"]
    assert search_overrides(args) == ["experiment=fixture", "data.dir=D", "search.population=3",
                                      "search.model=exp/bundle", "search.steps=4", "run_dir=exp/search"]
    # no --steps: the config's search.steps; a run_dir override replaces the default
    args = build_parser().parse_args(["search", "--model", "m.ckpt", "run_dir=R"])
    assert args.steps is None and search_overrides(args) == ["run_dir=R", "search.model=m.ckpt"]


def test_distill_takes_the_teacher_as_an_option():
    args = build_parser().parse_args(["distill", "--teacher", "RUN/checkpoints/last.ckpt", "experiment=fixture",
                                      "distill.steps_per_round=3"])
    assert distill_overrides(args) == ["task=distill", "experiment=fixture", "distill.steps_per_round=3",
                                       "distill.teacher=RUN/checkpoints/last.ckpt", "run_dir=exp/distill"]
    # `model=` stays the Hydra group of the model preset for distill (only teacher= moved)
    args = build_parser().parse_args(["distill", "model=tiny", "--teacher", "t.ckpt"])
    assert args.overrides == ["model=tiny"]


def test_option_values_reach_the_config_unchanged():
    from prodiff_tts.training.run import compose_config

    for path in ["exp/bundle", "/tmp/a b/c.ckpt", "/tmp/x=y,z[1]/m:ckpt", "/tmp/it's/a\\b", "/tmp/$x/${y}",
                 "/tmp/é/~x+y@z#1%!&*?", "a\\"]:
        args = build_parser().parse_args(["search", "--model", path, "--steps", "4"])
        cfg = compose_config(search_overrides(args))
        assert cfg.search.model == path and cfg.search.steps == 4, override_value(path)
        args = build_parser().parse_args(["distill", "--teacher", path])
        assert compose_config(distill_overrides(args)).distill.teacher == path


@pytest.mark.parametrize("argv, flag", [
    (["search", "model=exp/bundle", "--steps", "2"], "--model PATH"),
    (["search", "--model", "exp/bundle", "steps=2"], "--steps K"),
    (["search", "model=exp/bundle", "steps=2", "data.dir=D"], "--model PATH"),
    (["distill", "teacher=RUN/checkpoints/last.ckpt", "experiment=fixture"], "--teacher CKPT"),
])
def test_the_old_key_value_forms_are_refused_naming_the_option(argv, flag, capsys):
    line = one_line_error(capsys, main(argv), f"tts {argv[0]}: error: ", "no longer accepted", flag)
    assert line.endswith(f"(see tts {argv[0]} --help)")


def test_missing_model_or_teacher_is_one_line(capsys):
    one_line_error(capsys, main(["distill", "experiment=fixture"]),
                   "give the teacher checkpoint: tts distill --teacher RUN/checkpoints/last.ckpt")
    one_line_error(capsys, main(["search", "--steps", "2"]),
                   "give the model: tts search --model <teacher checkpoint or bundle> --steps K")
    one_line_error(capsys, main(["search", "--model", "m", "--steps", "0"]), "--steps", "positive integer")
    one_line_error(capsys, main(["search", "--model", "m", "--nope"]), "unrecognized arguments: --nope")


def test_import_and_help_load_no_heavy_module():
    code = ("import sys, prodiff_tts.cli as c; c.build_parser().format_help(); "
            "heavy = {'torch', 'lightning', 'hydra', 'omegaconf', 'numpy', 'fastapi', 'uvicorn'} & set(sys.modules); "
            "print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_python_dash_m_runs_the_cli():
    p = subprocess.run([sys.executable, "-m", "prodiff_tts.cli", "--version"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.startswith("prodiff-tts ")

"""The recipes' dry runs print every stage with arguments the CLI and Hydra accept; corpus checks."""

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from prodiff_tts.cli import build_parser
from prodiff_tts.cli.train import distill_overrides, search_overrides
from prodiff_tts.data.ljspeech import CorpusError, check_ljspeech
from prodiff_tts.training.run import compose_config

ROOT = Path(__file__).resolve().parents[2]


def dry_run(script: str, *args: str, env: dict | None = None) -> list[list[str]]:
    import os

    out = subprocess.run(["bash", str(ROOT / script), *args, "--dry-run"], capture_output=True, text=True,
                         check=True, env={**os.environ, **(env or {})}).stdout
    return [shlex.split(line[2:]) for line in out.splitlines() if line.startswith("+ ")]


def check_command(argv: list[str]) -> None:
    """The CLI parses the command; for train, distill and search, Hydra composes the config it would run."""
    if argv[0] != "tts":
        return
    args = build_parser().parse_args(argv[1:])
    overrides = {"train": lambda a: a.overrides, "distill": distill_overrides,
                 "search": search_overrides}.get(args.command)
    if overrides is not None:
        cfg = compose_config(overrides(args))
        assert cfg.run_dir
        if args.command == "search":
            assert cfg.search.model and cfg.search.steps == args.steps
        if args.command == "distill":
            assert cfg.task == "distill" and cfg.distill.teacher


@pytest.mark.parametrize("diffusion", ["continuous", "prodiff"])
def test_ljspeech_dry_run_prints_every_stage_with_valid_arguments(diffusion):
    cmds = dry_run("egs/ljspeech/run.sh", "--corpus", "/data/LJSpeech-1.1", env={"DIFFUSION": diffusion})
    subs = [c[1] for c in cmds if c[0] == "tts"]
    assert subs == ["prepare", "train", "distill", "train", "export", "search", "search", "generate-mels", "train",
                    "export-vocoder", "evaluate", "benchmark"]
    for c in cmds:
        check_command(c)
    distill = next(c for c in cmds if c[:2] == ["tts", "distill"])
    assert f"distill.start_steps={4 if diffusion == 'prodiff' else 8}" in distill


def test_demo_dry_run_and_stage_selection():
    cmds = dry_run("egs/demo/run.sh")
    for c in cmds:
        check_command(c)
    assert [c[1] for c in dry_run("egs/demo/run.sh", "--stage", "2", "--stop-stage", "3")] == ["train", "distill"]


def test_joe_dry_run_fine_tunes_from_the_released_voice_and_trains_its_vocoder_on_its_own_mels():
    cmds = dry_run("egs/joe_demo/run.sh", "--stage", "2")
    for c in cmds:
        check_command(c)
    subs = [c[1] for c in cmds if c[0] == "tts"]
    # no stage-4 vocoder: the vocoder needs the voice's own mels, so it comes after the export and the search
    assert subs == ["train", "distill", "export", "search", "search", "generate-mels", "train", "export-vocoder",
                    "evaluate", "benchmark"]
    teacher, vocoder = [c for c in cmds if c[:2] == ["tts", "train"]]
    init = next(a for a in teacher if a.startswith("teacher.init_from="))
    assert (Path(init.split("=", 1)[1]) / "config.yaml").is_file()  # a released voice
    export = next(c for c in cmds if c[:2] == ["tts", "export"])
    assert "--vocoder" not in export and "--teacher-steps" in export
    mels = next(c for c in cmds if c[:2] == ["tts", "generate-mels"])
    assert mels[2] == export[3] and f"vocoder.data.mel_dir={mels[4]}" in vocoder  # the exported voice's mels
    init = next(a for a in vocoder if a.startswith("vocoder.init_from="))
    assert (Path(init.split("=", 1)[1]) / "vocoder.json").is_file()  # the slt voice's vocoder
    into = next(c for c in cmds if c[:2] == ["tts", "export-vocoder"])
    assert into[3] == export[3] and into[-4:] == ["--default", "griffin-lim", "--mel-match", "2"]
    assert [c[1] for c in dry_run("egs/demo/run.sh", "--stage", "7", "--stop-stage", "7")] == []  # no stage 7


def test_unknown_recipe_option_is_rejected():
    p = subprocess.run(["bash", str(ROOT / "egs/demo/run.sh"), "--bogus"], capture_output=True, text=True)
    assert p.returncode == 2 and "unknown option" in p.stderr


def test_ljspeech_check_rejects_wrong_layouts(tmp_path):
    with pytest.raises(CorpusError, match="expected metadata.csv and wavs"):
        check_ljspeech(tmp_path)
    (tmp_path / "wavs").mkdir()
    (tmp_path / "metadata.csv").write_text("LJ001-0001|Printing.|Printing.\n")
    with pytest.raises(CorpusError, match="has 1 usable rows .* 13100"):
        check_ljspeech(tmp_path)
    p = subprocess.run([sys.executable, str(ROOT / "egs/ljspeech/local/check_corpus.py"), str(tmp_path)],
                       capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "keithito.com" in p.stderr


@pytest.mark.slow
def test_every_stage_runs_for_real_on_the_fixture_with_the_tiny_preset(tmp_path):
    import json
    import os

    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "PYTHON": sys.executable}
    p = subprocess.run(["bash", str(ROOT / "egs/ljspeech/run.sh"), "--preset", "tiny", "--corpus",
                        str(ROOT / "tests/data/ljs_tiny"), "--exp", str(tmp_path)], capture_output=True, text=True,
                       env=env, timeout=900)
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    assert [ln for ln in p.stdout.splitlines() if ln.startswith("== stage")][-1].startswith("== stage 9")
    bundle = tmp_path / "bundle"
    names = {e["name"] for e in __import__("yaml").safe_load((bundle / "config.yaml").read_text())["denoisers"]}
    assert names == {"teacher", "student_k2", "student_k1"}
    assert (bundle / "vocoder").is_dir()
    assert list((tmp_path / "own_mels_k2").glob("*.npy"))  # stage 7: the vocoder fine-tuned on the voice's mels
    assert (tmp_path / "vocoder_own_mels" / "checkpoints" / "last.ckpt").is_file()
    assert "student_k2:2" in json.loads((bundle / "schedule.json").read_text())["schedules"]
    assert json.loads((tmp_path / "evaluate.json").read_text())["results"]
    assert json.loads((tmp_path / "benchmark.json").read_text())["results"]

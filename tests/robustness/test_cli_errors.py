"""`tts prepare | train | distill | search | export` on bad input: one line on stderr, exit status 2.

Missing paths, bad Hydra overrides (a value of the wrong type, an unknown key, an unknown group option), bad
options, and a checkpoint whose stored config does not match its weights (edited in a copy)."""

import shutil
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def paths(trained_tiny, prepared_tiny, tmp_path_factory):
    """Good inputs to break one at a time, and a teacher checkpoint whose config was edited."""
    tmp = tmp_path_factory.mktemp("cli_errors")
    ckpt = trained_tiny / "checkpoints" / "last.ckpt"
    edited = torch.load(ckpt, map_location="cpu", weights_only=True)
    edited["hyper_parameters"]["model"]["encoder"]["hidden"] += 16  # weights stay those of the smaller model
    mismatch = tmp / "mismatch.ckpt"
    torch.save(edited, mismatch)  # plain dicts and tensors only
    unknown = torch.load(ckpt, map_location="cpu", weights_only=True)
    unknown["hyper_parameters"]["model"]["encoder"]["hiden"] = 3  # a config key this version does not know
    unknown_key = tmp / "unknown_key.ckpt"
    torch.save(unknown, unknown_key)
    resume_dir = tmp / "resume_run"
    (resume_dir / "checkpoints").mkdir(parents=True)
    shutil.copyfile(ckpt, resume_dir / "checkpoints" / "last.ckpt")
    (tmp / "a_file").write_text("not a directory")
    return {"ckpt": ckpt, "data": prepared_tiny, "corpus": Path(__file__).resolve().parent.parent / "data" / "ljs_tiny", "mismatch": mismatch, "unknown_key": unknown_key,
            "resume_dir": resume_dir, "file": tmp / "a_file", "tmp": tmp}


CASES = {
    # prepare
    "prepare: missing corpus": (["prepare", "{tmp}/nope", "{tmp}/out"], "metadata.csv not found"),
    "prepare: output is a file": (["prepare", "{corpus}", "{file}"], "is not a directory"),
    "prepare: --jobs 0": (["prepare", "{tmp}/nope", "{tmp}/out", "--jobs", "0"], "positive integer"),
    "prepare: --max-seconds abc": (["prepare", "{tmp}/nope", "{tmp}/out", "--max-seconds", "abc"], "invalid float"),
    # train
    "train: missing data.dir": (["train", "experiment=fixture", "data.dir={tmp}/nope", "run_dir={tmp}/t"],
                                "manifest.jsonl not found"),
    "train: trainer.max_steps=abc": (["train", "experiment=fixture", "data.dir={data}", "run_dir={tmp}/t",
                                      "trainer.max_steps=abc"], "trainer.max_steps=abc: must be a number"),
    "train: model=nope": (["train", "model=nope", "data.dir={data}", "run_dir={tmp}/t"], "model/nope"),
    "train: unknown key": (["train", "trainer.max_stepz=3", "data.dir={data}", "run_dir={tmp}/t"],
                           "trainer.max_stepz"),
    "train: resume with another model config": (["train", "experiment=fixture", "data.dir={data}",
                                                 "run_dir={resume_dir}", "model.encoder.hidden=48"],
                                                "cannot resume from"),
    # distill
    "distill: missing teacher": (["distill", "--teacher", "{tmp}/nope.ckpt", "data.dir={data}", "run_dir={tmp}/d"],
                                 "teacher checkpoint not found"),
    "distill: no teacher": (["distill", "data.dir={data}", "run_dir={tmp}/d"], "teacher"),
    "distill: missing data.dir": (["distill", "--teacher", "{ckpt}", "data.dir={tmp}/nope", "run_dir={tmp}/d"],
                                  "not found"),
    "distill: trainer.max_steps=abc": (["distill", "--teacher", "{ckpt}", "data.dir={data}", "run_dir={tmp}/d",
                                        "trainer.max_steps=abc"], "must be a number"),
    "distill: distill.steps_per_round=abc": (["distill", "--teacher", "{ckpt}", "data.dir={data}", "run_dir={tmp}/d",
                                              "distill.steps_per_round=abc"], "must be a number"),
    "distill: model=nope": (["distill", "--teacher", "{ckpt}", "model=nope", "data.dir={data}", "run_dir={tmp}/d"],
                            "model/nope"),
    "distill: old form teacher=": (["distill", "teacher={ckpt}", "data.dir={data}", "run_dir={tmp}/d"],
                                   "give --teacher CKPT"),
    "distill: edited checkpoint": (["distill", "--teacher", "{mismatch}", "data.dir={data}", "run_dir={tmp}/d"],
                                   "do not match the model config"),
    "distill: unknown config key": (["distill", "--teacher", "{unknown_key}", "data.dir={data}", "run_dir={tmp}/d"],
                                    "does not fit this version"),
    # search
    "search: missing model": (["search", "--model", "{tmp}/nope.ckpt", "--steps", "2", "data.dir={data}",
                               "run_dir={tmp}/s"], "model not found"),
    "search: no model": (["search", "--steps", "2", "data.dir={data}", "run_dir={tmp}/s"], "give the model"),
    "search: missing data.dir": (["search", "--model", "{ckpt}", "--steps", "2", "data.dir={tmp}/nope",
                                  "run_dir={tmp}/s"], "not found"),
    "search: --steps abc": (["search", "--model", "{ckpt}", "--steps", "abc", "data.dir={data}", "run_dir={tmp}/s"],
                            "expected a positive integer"),
    "search: search.steps=abc": (["search", "--model", "{ckpt}", "search.steps=abc", "data.dir={data}",
                                 "run_dir={tmp}/s"], "search.steps=abc: must be a number"),
    "search: old form model=": (["search", "model={ckpt}", "steps=2", "data.dir={data}", "run_dir={tmp}/s"],
                                "give --model PATH"),
    "search: search=nope": (["search", "--model", "{ckpt}", "--steps", "2", "search=nope", "data.dir={data}",
                             "run_dir={tmp}/s"], "search/nope"),
    "search: edited checkpoint": (["search", "--model", "{mismatch}", "--steps", "2", "data.dir={data}",
                                   "run_dir={tmp}/s"], "do not match the model config"),
    # export
    "export: missing checkpoint": (["export", "{tmp}/nope.ckpt", "{tmp}/b"], "checkpoint not found"),
    "export: output is a file": (["export", "{ckpt}", "{file}"], "is not a directory"),
    "export: missing --distilled": (["export", "{ckpt}", "{tmp}/b2", "--distilled", "{tmp}/nope"], "no distilled"),
    "export: missing --vocoder": (["export", "{ckpt}", "{tmp}/b3", "--vocoder", "{tmp}/nope"], "nope"),
    "export: edited checkpoint": (["export", "{mismatch}", "{tmp}/b4"], "do not match the model config"),
    "export: unknown config key": (["export", "{unknown_key}", "{tmp}/b5"], "does not fit this version"),
    "export: not a checkpoint": (["export", "{file}", "{tmp}/b6"], "cannot read checkpoint"),
    "export: unknown option": (["export", "{ckpt}", "{tmp}/b7", "--nope"], "unrecognized arguments"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_line_error_and_exit_2(case, paths, tts, one_line_error):
    argv, fragment = CASES[case]
    argv = [a.format(**paths) for a in argv]
    code, out, err = tts(*argv)
    one_line_error(code, err, fragment)
    if argv[0] in ("export", "prepare") and argv[2] != str(paths["file"]):
        assert not Path(argv[2]).exists()  # checked before the first file is written: no half bundle

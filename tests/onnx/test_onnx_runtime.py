"""OnnxVoice: the manifest, synthesis without torch, the same sentences, pauses and lengths as the torch path,
seeds, streaming, per-stage timing, and its errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("onnx.numpy_helper")  # not "onnx": tests/onnx would pass for it
pytest.importorskip("onnxruntime")

from prodiff_tts.onnx.manifest import MANIFEST_NAME, OnnxExportError, read_manifest  # noqa: E402
from prodiff_tts.onnx.runtime import OnnxVoice, StageSeconds  # noqa: E402
from prodiff_tts.text import UnspeakableTextError  # noqa: E402

TEXT = "Hello there. How are you today? The zyxwvut committee met at nine."


@pytest.fixture(scope="module")
def voice(onnx_export):
    return OnnxVoice(onnx_export, threads=1)


def test_manifest_describes_the_export(onnx_export, onnx_bundle):
    m = read_manifest(onnx_export)
    assert m.voice == "tiny_onnx" and m.source["bundle"] == str(onnx_bundle.resolve()) and m.opset >= 14
    assert sorted(m.plans) == [1, 2] and all(m.precisions(k) == ["fp32", "int8"] for k in m.plans)
    two = m.plans[2]
    assert (two.denoiser, two.source, two.timesteps) == ("student_k2", "searched", (1.0, 0.6))
    assert two.layer_masks == ((True, False, True), (True, True, True)) and len(two.coefficients) == 2
    assert two.coefficients[0][0] < 1e-3 < two.coefficients[1][0] < 1.0  # alpha(1) ~ 0, alpha(0.6) in (0, 1)
    assert two.graphs == {"fp32": ["k2.step0.onnx", "k2.step1.onnx"], "int8": ["k2.step0.int8.onnx",
                                                                             "k2.step1.int8.onnx"]}
    assert (m.plans[1].denoiser, m.plans[1].source, m.plans[1].layer_masks) == ("teacher", "uniform", None)
    assert m.vocoders["bundle"]["kind"] == "istft" and m.vocoders["griffin-lim"]["n_iter"] == 32
    assert m.default_vocoder == "griffin-lim"  # the voice's own choice (config extra.default_vocoder)
    # Q-Diffusion's split: only the denoiser's own skip and output projections stay fp32
    assert m.int8["fp32_nodes"] == ["/denoiser/output_projection/Conv", "/denoiser/skip_projection/Conv"]
    assert m.int8["calibration"]["sentences"] == 3 and m.int8["calibration"]["per_step"] is True
    assert {"vocab.json", "stats.json", "audio.npz", "frontend.onnx"} <= {p.name for p in onnx_export.iterdir()}


def test_synthesis_imports_neither_torch_nor_training_code(onnx_export, voice):
    """OnnxVoice's synthesis, with and without timestamps, in a fresh interpreter: no torch, no training code."""
    code = f"""
import json, sys
import prodiff_tts.onnx
assert "onnxruntime" not in sys.modules  # the package imports nothing until asked
from prodiff_tts.onnx import OnnxVoice, StageSeconds
def heavy():
    return sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "lightning", "hydra", "librosa")
                  or m.startswith("prodiff_tts.training") or m.startswith("prodiff_tts.models"))
out = {{}}
for precision, vocoder in (("fp32", "bundle"), ("int8", "griffin-lim")):
    clock = StageSeconds()
    voice = OnnxVoice({str(onnx_export)!r}, threads=1, precision=precision, vocoder=vocoder)
    wav, sr = voice.synthesize({TEXT!r}, stage_timer=clock)
    out[precision] = [len(wav), sr, float(abs(wav).max()), str(wav.dtype), sorted(clock.seconds)]
timed = voice.synthesize_with_timestamps({TEXT!r})
pieces = list(voice.stream_with_timestamps({TEXT!r}, batch_size=1))
words = [w.word for w in timed.words]
print(json.dumps({{"out": out, "words": words, "pieces": len(pieces), "heavy": heavy()}}))
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr
    result = json.loads(p.stdout.strip().splitlines()[-1])
    assert result["heavy"] == [], result
    for n, sr, peak, dtype, stages in result["out"].values():
        assert sr == 22050 and n > sr // 2 and 0 < peak <= 1.0 and dtype == "float32"
        assert stages == ["denoiser", "encoder_variance", "frontend", "vocoder"]
    assert result["words"][:2] == ["hello", "there"]
    assert result["words"] == [w.word for w in voice.synthesize_with_timestamps(TEXT).words]
    assert result["pieces"] == 3


@pytest.mark.parametrize("text, speed", [
    (TEXT, 1.0),
    ("Slowly now. And faster!", 1.6),
    ("<speak>Hello.<break time='300ms'/>World, <prosody rate='slow'>again</prosody>.</speak>", 1.0),
])
def test_same_sentences_pauses_and_lengths_as_the_torch_path(voice, torch_synth, text, speed):
    wav, sr = voice.synthesize(text, speed=speed, batch_size=2)
    expected, sr2 = torch_synth.synthesize(text, speed=speed, batch_size=2)
    assert sr == sr2 and wav.shape == expected.shape and wav.dtype == np.float32


def test_seeds_streaming_and_stage_timer(voice):
    a, _ = voice.synthesize(TEXT, seed=1)
    b, _ = voice.synthesize(TEXT, seed=1)
    c, _ = voice.synthesize(TEXT, seed=2)
    np.testing.assert_array_equal(a, b)
    assert a.shape == c.shape and not np.array_equal(a, c)
    pieces = list(voice.stream(TEXT, seed=1, batch_size=1))
    assert len(pieces) == 3
    whole, _ = voice.synthesize(TEXT, seed=1, batch_size=1)
    np.testing.assert_array_equal(np.concatenate(pieces), whole)
    clock = StageSeconds()
    voice.synthesize(TEXT, stage_timer=clock)
    assert set(clock.seconds) == {"frontend", "encoder_variance", "denoiser", "vocoder"}
    assert clock.frames["vocoder"] * voice.hop_length <= len(a) and clock.frames["denoiser"] > 0
    assert voice.load() is voice and voice.supported_steps == [1, 2]


def test_bad_calls(voice):
    with pytest.raises(ValueError, match="--steps 4 is not exported"):
        voice.synthesize("Hi.", steps=4)
    with pytest.raises(ValueError, match="speed"):
        voice.synthesize("Hi.", speed=20)
    with pytest.raises(ValueError, match="batch_size"):
        voice.synthesize("Hi.", batch_size=0)
    with pytest.raises(UnspeakableTextError):
        voice.synthesize("... !!!")
    with pytest.raises(ValueError, match="noise has shape"):
        voice.acoustic([[5, 6, 7]], noise=np.zeros((1, 80, 1), np.float32))


def test_bad_voices(onnx_export, tmp_path):
    for kwargs, match in (({"precision": "fp16"}, "precision"), ({"threads": 0}, "threads"),
                          ({"vocoder": "hifigan-v1"}, "not in this export")):
        with pytest.raises(ValueError, match=match):
            OnnxVoice(onnx_export, **kwargs)
    with pytest.raises(OnnxExportError, match="not found"):
        OnnxVoice(tmp_path / "nothing")
    with pytest.raises(OnnxExportError, match="manifest.json missing"):
        OnnxVoice(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(onnx_export, copy)
    manifest = json.loads((copy / MANIFEST_NAME).read_text())
    for plan in manifest["plans"].values():
        plan["graphs"].pop("int8")
    (copy / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(OnnxExportError, match="no int8 step graphs"):
        OnnxVoice(copy, precision="int8")
    (copy / "k2.step1.onnx").unlink()
    with pytest.raises(OnnxExportError, match="incomplete: k2.step1.onnx missing"):
        OnnxVoice(copy)
    (copy / MANIFEST_NAME).write_text(json.dumps({**manifest, "format_version": 99}))
    with pytest.raises(OnnxExportError, match="format version 99"):
        OnnxVoice(copy)
    (copy / MANIFEST_NAME).write_text("{not json")
    with pytest.raises(OnnxExportError, match="corrupt manifest"):
        OnnxVoice(copy)


def test_re_export_removes_the_graphs_it_no_longer_uses(onnx_export, onnx_bundle, tmp_path):
    from prodiff_tts.onnx.export import export_onnx

    out = tmp_path / "again"
    shutil.copytree(onnx_export, out)
    (out / "notes.txt").write_text("kept: not a graph")
    said: list[str] = []
    export_onnx(onnx_bundle, out, steps=[1], progress=said.append)
    graphs = sorted(p.name for p in out.glob("*.onnx"))
    assert graphs == sorted(f for f in read_manifest(out).graph_files() if f.endswith(".onnx"))
    assert graphs == ["condition.teacher.onnx", "frontend.onnx", "k1.step0.onnx", "vocoder.onnx"]
    # the student's condition projection, its 2 steps in fp32 and int8, and the 1-step int8 graph
    assert (out / "notes.txt").is_file() and any("removed 6 graph(s)" in s for s in said), said
    assert OnnxVoice(out, threads=1).synthesize("Hello.", steps=1)[0].size > 0

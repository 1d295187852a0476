"""int8 step graphs by post-training static quantization, calibrated per timestep (Q-Diffusion).

A distilled plan has few steps at very different noise levels, so one set of activation ranges for all of them
fits none well; since each step is its own graph (:mod:`.export`), each is calibrated on its own inputs only:
the fp32 plan is run on calibration sentences (:mod:`.calibration`) and every step's actual ``(z_t, proj,
mask)`` are recorded. Then onnxruntime's ``quantize_static`` (QDQ format, per-channel int8 weights of 7 bits
(``reduce_range``), uint8 activations, min-max ranges) quantizes the convolutions and matrix products; the
gates and sums stay fp32.
Q-Diffusion's split treatment of the skip path: the skip-sum projection and the output projection (whose
inputs are the bimodal sum of all layers' skips) can be kept in fp32 (``keep_fp32``, default on).

Needs onnxruntime (its quantization tools) and numpy, not torch.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..fileio import atomic_write
from .calibration import calibration_sentences
from .manifest import OnnxManifest, OnnxPlan, read_manifest, write_manifest
from .sampling import ddim_sample, initial_noise

__all__ = ["SKIP_PATH", "QUANTIZED_OPS", "collect_step_inputs", "module_nodes", "quantize_step", "quantize_voice"]

SKIP_PATH = ("skip_projection", "output_projection")  # Q-Diffusion's split: kept fp32 by default
QUANTIZED_OPS = ("Conv", "MatMul", "Gemm")


def collect_step_inputs(voice, plan: OnnxPlan, sentences: Sequence[Sequence[int]]) -> list[list[dict]]:
    """Run the fp32 plan on each phoneme-id sequence (a batch of one, noise seeded by its index) and return,
    per step, the feeds ``{"z_t", "proj", "mask"}`` the step graph received."""
    per_step: list[list[dict]] = [[] for _ in range(plan.steps)]
    steps = voice.step_functions(plan, "fp32")
    for j, ids in enumerate(sentences):
        cond, mask, _, _ = voice.condition([ids])
        proj = voice.project(plan, cond)
        noise = initial_noise((1, voice.manifest.n_mels, cond.shape[-1]), j)

        def record(i: int, z: np.ndarray, proj: np.ndarray = proj, mask: np.ndarray = mask) -> None:
            per_step[i].append({"z_t": z, "proj": proj, "mask": mask})

        ddim_sample(steps, plan.coefficients, noise, proj, mask, on_step=record)
    return per_step


def module_nodes(nodes, modules: Sequence[str]) -> list[str]:
    """Names of the nodes exported from the denoiser's own ``modules`` (e.g. "skip_projection"; the exporter
    names nodes by module path, ``/denoiser/skip_projection/Conv``), not from the residual layers' modules of
    the same name (``/denoiser/layers.3/output_projection/Conv``)."""
    out = []
    for node in nodes:
        parts = node.name.split("/")
        if any(p in modules and not (j and re.fullmatch(r"layers\.\d+", parts[j - 1])) for j, p in enumerate(parts)):
            out.append(node.name)
    return out


def quantize_step(src: str | Path, dst: str | Path, feeds: Sequence[dict], keep_fp32: Sequence[str] = SKIP_PATH,
                  ops: Sequence[str] = QUANTIZED_OPS, activations: str = "uint8", reduce_range: bool = True
                  ) -> list[str]:
    """Quantize the step graph ``src`` into ``dst`` (written atomically), calibrated on ``feeds``. Nodes
    exported from one of the denoiser's modules ``keep_fp32`` stay fp32 (:func:`module_nodes`).
    ``activations``: "uint8" (U8S8: every convolution fuses into ``QLinearConv`` on x86) or "int8" (S8S8:
    onnxruntime converts it to U8 on x86 and leaves some convolutions unfused here); ``reduce_range``: 7-bit
    weights, which keep AVX2's U8S8 products (no VNNI) from saturating. Returns the nodes kept in fp32."""
    import onnx
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(feeds)

        def get_next(self) -> dict | None:
            return next(self.items, None)

    types = {"int8": QuantType.QInt8, "uint8": QuantType.QUInt8}
    if activations not in types:
        raise ValueError(f"activations must be 'uint8' or 'int8', got {activations!r}")
    activation_type = types[activations]
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".quantize.", dir=dst.parent) as tmp:
        pre = Path(tmp) / "pre.onnx"
        # ORT's basic optimizations fold the constant step-embedding path; shape inference helps the quantizer
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        kept = module_nodes(onnx.load(str(pre), load_external_data=False).graph.node, keep_fp32)
        quantize_static(str(pre), str(Path(tmp) / "int8.onnx"), Reader(), quant_format=QuantFormat.QDQ,
                        op_types_to_quantize=list(ops), per_channel=True, reduce_range=reduce_range,
                        activation_type=activation_type, weight_type=QuantType.QInt8, nodes_to_exclude=kept,
                        calibrate_method=CalibrationMethod.MinMax)  # reduced in the graph: small memory
        atomic_write(dst, lambda t: os.replace(Path(tmp) / "int8.onnx", t))
    return kept


def quantize_voice(directory: str | Path, calibration_texts: int = 16, *, keep_fp32: Sequence[str] = SKIP_PATH,
                   threads: int = 1, progress: Callable[[str], None] | None = None) -> OnnxManifest:
    """Add an int8 graph beside every fp32 step graph of the export in ``directory``, each calibrated on its own
    step's inputs over the first ``calibration_texts`` calibration sentences; update the manifest."""
    from .runtime import OnnxVoice

    say = progress or (lambda msg: None)
    directory = Path(directory)
    voice = OnnxVoice(directory, threads=threads, vocoder="griffin-lim")
    texts = calibration_sentences(calibration_texts)
    sentences = [r.ids for t in texts for r in voice.frontend.render(t) if r.ids]
    manifest = read_manifest(directory)
    plans: dict[int, OnnxPlan] = {}
    kept: set[str] = set()
    for k, plan in sorted(manifest.plans.items()):
        per_step = collect_step_inputs(voice, plan, sentences)
        files = []
        for i, (src, feeds) in enumerate(zip(plan.graphs["fp32"], per_step)):
            files.append(src.replace(".onnx", ".int8.onnx"))
            kept.update(quantize_step(directory / src, directory / files[-1], feeds, keep_fp32))
            say(f"int8 step {i} of {k}: {files[-1]} (calibrated on {len(feeds)} sentence(s) at t = "
                f"{plan.timesteps[i]:g})")
        plans[k] = replace(plan, graphs={**plan.graphs, "int8": files})
    manifest = replace(manifest, plans=plans, int8={
        "format": "QDQ", "weights": "int8 per channel, reduce_range (7 bits)",
        "activations": "uint8 per tensor, min-max",
        "quantized_ops": list(QUANTIZED_OPS), "fp32_nodes": sorted(kept), "keep_fp32": list(keep_fp32),
        "calibration": {"sentences": len(sentences), "texts": len(texts),
                        "source": "prodiff_tts.onnx.calibration", "per_step": True,
                        "noise": "numpy PCG64, seed = sentence index"}})
    write_manifest(directory, manifest)
    return manifest

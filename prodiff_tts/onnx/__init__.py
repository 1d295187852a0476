"""ONNX export of a voice bundle and a torch-free ONNX Runtime inference path (docs/onnx.md).

* :func:`prodiff_tts.onnx.export.export_onnx` (torch side; ``tts export-onnx``): bundle -> directory of graphs
  and ``manifest.json``, optionally with int8 step graphs (:mod:`.quantize`).
* :class:`prodiff_tts.onnx.runtime.OnnxVoice`: the exported voice with onnxruntime + numpy only.

Nothing is imported here eagerly: ``from prodiff_tts.onnx import OnnxVoice`` loads the runtime (onnxruntime),
``export_onnx`` the exporter (torch).
"""

from __future__ import annotations

__all__ = ["OnnxVoice", "StageSeconds", "export_onnx"]


def __getattr__(name: str):
    if name in ("OnnxVoice", "StageSeconds"):
        from . import runtime

        return getattr(runtime, name)
    if name == "export_onnx":
        from .export import export_onnx

        return export_onnx
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

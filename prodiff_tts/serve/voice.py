"""What the server needs of a voice: the structural interface that both the torch
:class:`~prodiff_tts.api.Synthesizer` and the torch-free :class:`~prodiff_tts.onnx.OnnxVoice` have. Nothing here
imports either (``tts serve --backend onnx`` never imports torch)."""

from __future__ import annotations

from typing import Any, Iterator, Protocol, runtime_checkable

import numpy as np

from ..speech import TimedPiece


@runtime_checkable
class ServedVoice(Protocol):
    """A loaded voice the server speaks with. ``plan(steps)`` raises ValueError for a step count the voice does
    not serve; ``stream`` / ``stream_with_timestamps`` check everything before they return (a ValueError, e.g.
    ``UnspeakableTextError`` or ``MarkupError``, for bad input) and then yield one piece per batch of
    ``batch_size`` sentences. Both are called from the server's worker threads, several at once."""

    @property
    def voice_name(self) -> str: ...

    @property
    def vocoder_name(self) -> str: ...

    @property
    def sample_rate(self) -> int: ...

    @property
    def created(self) -> int:
        """Unix seconds, for ``GET /v1/models``."""

    @property
    def supported_steps(self) -> list[int]: ...

    def plan(self, steps: int) -> Any: ...

    def load(self) -> Any: ...

    def stream(self, text: str, steps: int = 2, seed: int = 0, speed: float = 1.0, *, batch_size: int = 8,
               ssml: bool | None = None) -> Iterator[np.ndarray]: ...

    def stream_with_timestamps(self, text: str, steps: int = 2, seed: int = 0, speed: float = 1.0, *,
                               batch_size: int = 8, ssml: bool | None = None) -> Iterator[TimedPiece]: ...

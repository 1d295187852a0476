"""The ``tts`` command. Each subcommand parses its own options and calls the library.

One argument style: inputs and settings are options (``tts search --model PATH --steps K``, ``tts distill
--teacher CKPT``, ``tts evaluate --model BUNDLE``); the commands on the training configs (train, distill, search)
also take free Hydra overrides (``experiment=demo data.dir=PREPARED search.population=16``).

Errors the user can fix (bad text, options, paths, files) end with one line on stderr and exit 2;
set TTS_DEBUG=1 to see the full traceback instead.

One module per command group: ``common`` (errors, parser, argument types, shared checks), ``data`` (prepare),
``synthesize`` (synthesize, voices), ``serve``, ``train`` (train, distill, search, export, generate-mels),
``evaluate`` (benchmark, evaluate, evaluate-vocoder), ``onnx`` (export-onnx) and ``main`` (the parser and the dispatch). Heavy imports
(torch, Lightning, the server) happen inside the commands, so ``tts --help`` stays fast.
"""

from .common import EXIT_USAGE, CLIError
from .main import build_parser, main

__all__ = ["CLIError", "EXIT_USAGE", "build_parser", "main"]

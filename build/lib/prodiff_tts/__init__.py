"""prodiff-tts: fast diffusion text-to-speech (ProDiff-style x0 diffusion, progressive distillation, schedule search)."""

__version__ = "0.1.0"

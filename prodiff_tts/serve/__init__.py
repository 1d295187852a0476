"""``tts serve``: an OpenAI-compatible speech endpoint (``POST /v1/audio/speech``) on FastAPI + uvicorn.

Modules, one job each: ``encoding`` (wav / pcm / flac bytes, no web dependency, shared with
``tts synthesize -o -``), ``schemas`` (the request body and its names), ``errors`` (OpenAI-style JSON
errors), ``pool`` (worker threads, bounded admission), ``app`` (the FastAPI app around a ``Synthesizer``).
Nothing is imported or loaded here; ``pip install 'prodiff-tts[serve]'`` for fastapi and uvicorn.
"""

"""``tts serve``: an OpenAI-compatible speech endpoint (``POST /v1/audio/speech``) on FastAPI + uvicorn.

Modules, one job each: ``encoding`` (wav / pcm / flac bytes, no web dependency, shared with
``tts synthesize -o -``), ``schemas`` (the request body and its names), ``errors`` (OpenAI-style JSON
errors), ``pool`` (worker threads, bounded admission), ``voice`` (what the server needs of a voice: a torch
``Synthesizer`` or a torch-free ``OnnxVoice``), ``app`` (the FastAPI app around it).
Nothing is imported or loaded here; ``pip install 'prodiff-tts[serve]'`` for fastapi and uvicorn.
"""

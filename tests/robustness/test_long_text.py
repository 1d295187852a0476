"""Long text in bounded memory: `Synthesizer.stream` and the incremental wav writer of `tts synthesize`."""

import json
import random
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf

pytestmark = pytest.mark.slow

WORDS = ("the quick brown fox jumps over a lazy dog while seven happy children sing near old river banks "
         "under bright summer skies").split()


def long_text(words: int, seed: int = 0) -> str:
    """Sentences of 6 to 14 common words (all in CMUdict), ``words`` words in all."""
    rng = random.Random(seed)
    out, n = [], 0
    while n < words:
        k = min(rng.randint(6, 14), words - n)
        out.append(" ".join(rng.choice(WORDS) for _ in range(k)).capitalize() + ".")
        n += k
    return " ".join(out)


def test_stream_pieces_join_to_the_synthesized_waveform(tiny_bundle):
    from prodiff_tts.api import PAUSE_SECONDS, Synthesizer

    synth = Synthesizer.from_pretrained(tiny_bundle)
    text = long_text(60, seed=1)
    pieces = list(synth.stream(text, steps=4, batch_size=2))
    wav, sr = synth.synthesize(text, steps=4, batch_size=2)
    n_sentences = text.count(".")
    assert len(pieces) == -(-n_sentences // 2)
    assert all(p.dtype == np.float32 and p.ndim == 1 for p in pieces)
    np.testing.assert_array_equal(np.concatenate(pieces), wav)
    assert len(wav) > (n_sentences - 1) * int(PAUSE_SECONDS * sr)


def test_load_leaves_synthesis_unchanged(tiny_bundle):
    """`load()` (dictionary, espeak, vocoder, one warm-up pass) changes nothing in what is synthesized."""
    from prodiff_tts.api import Synthesizer

    cold = Synthesizer.from_pretrained(tiny_bundle).synthesize("Hello there.", steps=4)[0]
    warm = Synthesizer.from_pretrained(tiny_bundle)
    assert warm.load() is warm and warm._vocoder is not None
    assert np.array_equal(warm.synthesize("Hello there.", steps=4)[0], cold)


def test_stream_checks_everything_before_the_first_piece(tiny_bundle):
    from prodiff_tts.api import Synthesizer
    from prodiff_tts.text import UnspeakableTextError

    synth = Synthesizer.from_pretrained(tiny_bundle)
    for kwargs, error in [({"steps": 3}, ValueError), ({"speed": 0}, ValueError), ({"batch_size": 0}, ValueError),
                          ({"schedule": "best"}, ValueError)]:
        with pytest.raises(error):
            synth.stream("Hello.", **{"steps": 4, **kwargs})  # raised by the call, not by the first next()
    with pytest.raises(UnspeakableTextError):
        synth.stream("?! 😀 ...", steps=4)


def test_a_failure_midway_leaves_the_existing_output_and_no_temp_file(tiny_bundle, tmp_path, tts, monkeypatch):
    from prodiff_tts.vocoders.griffin_lim import GriffinLimVocoder

    out = tmp_path / "o.wav"
    out.write_bytes(b"previous take")
    real, calls = GriffinLimVocoder.generate, []

    def failing(self, log_mel):
        calls.append(1)
        if len(calls) == 2:  # the second batch of sentences: the first one is already in the temp file
            raise MemoryError("simulated failure during synthesis")
        return real(self, log_mel)

    monkeypatch.setattr(GriffinLimVocoder, "generate", failing)
    code, _, err = tts("synthesize", "--model", tiny_bundle, "--steps", "4", "-o", out, long_text(150))
    assert code != 0 and len(calls) == 2 and "Traceback" not in err
    assert out.read_bytes() == b"previous take"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.wav"]


# The child process: the real CLI and streaming path; only the vocoder's DSP is replaced by a cheap tone of the
# same length (Griffin-Lim would take ~15 minutes for ~80 minutes of audio on this CPU).
CHILD = r"""
import json, resource, sys, time, torch
torch.set_num_threads(1)
from prodiff_tts.vocoders.griffin_lim import GriffinLimVocoder

def generate(self, log_mel):
    hop, sr = self.audio_config.hop_length, self.audio_config.sample_rate
    env = torch.repeat_interleave(torch.exp(log_mel).mean(1).clamp(max=1.0), hop, dim=-1)
    t = torch.arange(env.shape[-1], dtype=torch.float32)
    return 0.5 * env * torch.sin(2 * torch.pi * 220.0 * t / sr)

GriffinLimVocoder.generate = generate
from prodiff_tts.cli import main
t0 = time.perf_counter()
code = main(sys.argv[1:])
seconds = time.perf_counter() - t0
try:  # peak RSS of this process image (Linux)
    hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
except OSError:
    hwm = None
print(json.dumps({"code": code, "seconds": seconds, "vm_hwm_mb": hwm,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

MAX_RSS_MB = 1000  # measured ~470 MB streaming; ~1600 MB when the whole waveform was held (twice) in memory


def test_10000_words_through_the_cli_in_bounded_memory(tiny_bundle, tmp_path, child):
    _, env = child
    text = long_text(10_000)
    (tmp_path / "long.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "long.wav"
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, "synthesize", "--text-file", str(tmp_path / "long.txt"),
                           "--model", str(tiny_bundle), "--steps", "4", "-o", str(out)],
                          capture_output=True, text=True, env=env, timeout=300)
    wall = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    # ru_maxrss of a child of this (big) pytest process starts at the parent's RSS: Linux carries the RSS
    # high-water mark of the forked copy across execve. VmHWM is that of the child's own image.
    peak = report["vm_hwm_mb"] if report["vm_hwm_mb"] is not None else report["max_rss_mb"]
    print(f"\n10,000 words: peak RSS {peak:.0f} MB (ru_maxrss {report['max_rss_mb']:.0f} MB), "
          f"{report['seconds']:.1f} s in the CLI, {wall:.1f} s with start-up")
    assert report["code"] == 0
    assert peak < MAX_RSS_MB
    info = sf.info(str(out))
    assert info.samplerate == 22050 and info.channels == 1 and info.subtype == "PCM_16"
    # plausible: between 0.1 and 2 s per word (the tiny fixture voice says ~2 words/s), pauses included
    assert 0.1 * 10_000 < info.duration < 2.0 * 10_000
    assert f"wrote {out}: {info.duration:.2f} s" in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.txt", "long.wav"]
    with sf.SoundFile(str(out)) as f:  # spot checks, without loading 80 minutes of audio
        for start in (0, info.frames // 2, info.frames - 22050):
            f.seek(start)
            block = f.read(22050, dtype="float32")
            assert np.isfinite(block).all()
        f.seek(info.frames // 2)
        assert np.abs(f.read(10 * 22050, dtype="float32")).max() > 0  # audio, not silence, in the middle

"""Build an LJSpeech-format corpus by synthesising sentences with Festival.

Used to make the demo corpus (egs/demo) on a machine where LJSpeech cannot be
downloaded. A module of the recipe (``build_corpus.py`` beside it imports it), not
of the package: the package only reads the alignment files back
(``prodiff_tts.data.alignments.read_alignment``). The layout written under ``out_dir``::

    metadata.csv            ID|raw text|normalized text   (UTF-8, no header, like LJSpeech)
    wavs/ID.wav             mono 16-bit PCM at ``sample_rate`` (22050 Hz), resampled with soxr
    alignments/ID.words     Festival's word end times:  "end_seconds<TAB>word" per line
    alignments/ID.segs      Festival's phone end times: "end_seconds<TAB>phone" per line ("pau" = silence)
    alignments/ID.txt       the exact string Festival spoke (the normalized text); used to resume
    build_summary.json      the numbers of the last build; failures.tsv when some clips failed

Festival speaks the *normalized* text, so the audio says what the project's own
frontend reads; the raw sentence is kept in column 2. Word ``i`` starts where
word ``i-1`` ends or, after a pause, where the preceding "pau" segment ends.

A few long-lived ``festival --pipe`` processes (one per job) are fed Scheme
commands; each command ends by printing a marker, so errors are caught per
sentence. A crashed or hung Festival is restarted and the sentence is reported
as a failure; the build goes on. Every file is written atomically (temporary
file + ``os.replace``); clips whose wav and alignments exist and are valid are
skipped, so an interrupted build resumes where it stopped.

Requires the Debian packages ``festival`` and ``festvox-us-slt-hts``.
"""

from __future__ import annotations

import json
import os
import queue
import re
import select
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from prodiff_tts.data.alignments import read_alignment

DEFAULT_VOICE = "cmu_us_slt_arctic_hts"
INSTALL_HINT = "sudo apt-get install festival festvox-us-slt-hts"
# Voices packaged by Debian, so the error can name the package to install.
_VOICE_PACKAGES = {
    "cmu_us_slt_arctic_hts": "festvox-us-slt-hts",
    "cmu_us_awb_arctic_hts": "festvox-us-awb-hts",
    "cmu_us_bdl_arctic_hts": "festvox-us-bdl-hts",
    "cmu_us_clb_arctic_hts": "festvox-us-clb-hts",
    "cmu_us_jmk_arctic_hts": "festvox-us-jmk-hts",
    "cmu_us_rms_arctic_hts": "festvox-us-rms-hts",
    "kal_diphone": "festvox-kallpc16k",
    "ked_diphone": "festvox-kdlpc16k",
    "rab_diphone": "festvox-rablpc16k",
    "don_diphone": "festvox-don",
}
_VOICE_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_MARKER = "@@PRODIFF_FESTIVAL_DONE"
_ERROR = re.compile(r"SIOD ERROR|unbound variable|failed|can't open|cannot open|error", re.IGNORECASE)
_STARTUP_TIMEOUT_S = 60.0
# Festival synthesises much faster than real time; this is a generous ceiling per sentence.
_SENTENCE_TIMEOUT_S = 120.0
# Festival's last segment ends where its wave ends; resampling can move that by a sample.
_END_TOLERANCE_S = 0.05


class FestivalNotFoundError(RuntimeError):
    """Festival, or the requested voice, is not installed."""


@dataclass
class BuildSummary:
    """What `build_festival_corpus` did. ``clips`` counts every clip in metadata.csv."""

    out_dir: Path
    clips: int
    synthesized: int
    resumed: int
    audio_seconds: float
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (id, raw text, reason)
    wall_seconds: float = 0.0
    sample_rate: int = 22050
    voice: str = DEFAULT_VOICE

    @property
    def hours(self) -> float:
        return self.audio_seconds / 3600.0

    @property
    def clips_per_second(self) -> float:
        """Clips synthesized (not resumed) per second of wall time."""
        return self.synthesized / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def __str__(self) -> str:
        lines = [
            f"Festival corpus {self.out_dir} (voice {self.voice}, {self.sample_rate} Hz)",
            f"  clips:      {self.clips} ({self.synthesized} synthesized, {self.resumed} resumed)",
            f"  audio:      {self.hours:.3f} h ({self.audio_seconds:.1f} s)",
            f"  failures:   {len(self.failures)}",
            f"  wall time:  {self.wall_seconds:.1f} s",
            f"  speed:      {self.clips_per_second:.2f} clips/s",
        ]
        for clip_id, _, reason in self.failures[:10]:
            lines.append(f"    failed {clip_id}: {reason}")
        if len(self.failures) > 10:
            lines.append(f"    ... {len(self.failures) - 10} more in failures.tsv")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        return {
            "out_dir": str(self.out_dir),
            "voice": self.voice,
            "sample_rate": self.sample_rate,
            "clips": self.clips,
            "synthesized": self.synthesized,
            "resumed": self.resumed,
            "audio_seconds": round(self.audio_seconds, 3),
            "hours": round(self.hours, 4),
            "failures": len(self.failures),
            "wall_seconds": round(self.wall_seconds, 2),
            "clips_per_second": round(self.clips_per_second, 3),
        }


# ---------------------------------------------------------------------------
# Alignments
# ---------------------------------------------------------------------------


def parse_festival_labels(text: str) -> list[tuple[float, str]]:
    """Parse Festival's ``utt.save.words`` / ``utt.save.segs`` output (xlabel format).

    A header ends with a line "#"; each following line is "end_time colour label".
    """
    lines = text.splitlines()
    if "#" in (ln.strip() for ln in lines):
        lines = lines[[ln.strip() for ln in lines].index("#") + 1 :]
    out: list[tuple[float, str]] = []
    for ln in lines:
        parts = ln.split()
        if not parts:
            continue
        if len(parts) < 3:
            raise ValueError(f"malformed Festival label line: {ln!r}")
        out.append((float(parts[0]), " ".join(parts[2:])))
    return out


def _merge_festival_words(words: Sequence[tuple[float, str]]) -> list[tuple[float, str]]:
    """Make Festival's word list match the text's tokens and keep end times non-decreasing.

    Festival splits a possessive ("company's" -> "company", "'s") and gives the "'s"
    word no segments, so its end time reads 0.0; it is joined back to the word before.
    Any other word without segments gets the previous word's end (zero duration).
    """
    out: list[tuple[float, str]] = []
    for t, label in words:
        if out and label.startswith("'"):
            out[-1] = (max(out[-1][0], t), out[-1][1] + label)
        elif out and t < out[-1][0]:
            out.append((out[-1][0], label))
        else:
            out.append((t, label))
    return out


def _format_alignment(items: Sequence[tuple[float, str]]) -> str:
    return "".join(f"{t:.4f}\t{label}\n" for t, label in items)


# ---------------------------------------------------------------------------
# Festival processes
# ---------------------------------------------------------------------------


def _scheme_string(s: str) -> str:
    """A Scheme string literal: backslashes and double quotes escaped, newlines flattened."""
    s = " ".join(s.split())
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _voice_name(voice: str) -> str:
    v = voice.strip().strip("()")
    v = v[len("voice_") :] if v.startswith("voice_") else v
    if not _VOICE_NAME.match(v):
        raise ValueError(f"invalid Festival voice name {voice!r}")
    return v


def _missing_voice_message(voice: str) -> str:
    package = _VOICE_PACKAGES.get(voice)
    how = (
        f"sudo apt-get install {package}"
        if package
        else "install the festvox-* package that provides it (apt-cache search festvox)"
    )
    return (
        f"Festival is installed but the voice {voice!r} is not. On Debian/Ubuntu: {how}"
        + ("" if voice == DEFAULT_VOICE else f"; the default voice needs: {INSTALL_HINT}")
    )


class _Festival:
    """One long-lived ``festival --pipe`` process with the voice loaded."""

    def __init__(self, voice: str, executable: str = "festival") -> None:
        self.voice = voice
        self.executable = executable
        self.proc: subprocess.Popen[bytes] | None = None
        self._buf = b""
        self._n = 0
        self.start()

    def start(self) -> None:
        self.close()
        exe = shutil.which(self.executable)
        if exe is None:
            raise FestivalNotFoundError(
                f"the `{self.executable}` program was not found. On Debian/Ubuntu: {INSTALL_HINT}"
            )
        self.proc = subprocess.Popen(
            [exe, "--pipe"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "LC_ALL": "C"},
        )
        self._buf = b""
        ok, out = self.command(f"(voice_{self.voice})", timeout=_STARTUP_TIMEOUT_S)
        if not ok or _ERROR.search(out):
            self.close()
            if "unbound variable" in out or "not found" in out.lower():
                raise FestivalNotFoundError(_missing_voice_message(self.voice))
            raise RuntimeError(f"Festival failed to load voice {self.voice!r}: {out.strip()[-500:]}")

    def command(self, scheme: str, timeout: float = _SENTENCE_TIMEOUT_S) -> tuple[bool, str]:
        """Send one line of Scheme; return (finished, everything Festival printed before the marker).

        ``finished`` is False when Festival died or did not answer within ``timeout``
        seconds; the process is then killed (call `start` again to use it).
        """
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        self._n += 1
        marker = f"{_MARKER} {self._n}".encode()
        line = f'{scheme} (format t "{marker.decode()}\\n") (fflush nil)\n'
        try:
            self.proc.stdin.write(line.encode("utf-8", errors="replace"))
            self.proc.stdin.flush()
        except OSError:  # BrokenPipeError: Festival has exited
            out = self._drain()
            self.close()
            return False, out + "\nFestival exited"
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while marker not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.close()
                return False, f"Festival did not answer within {timeout:.0f} s"
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                out = self._buf.decode("utf-8", errors="replace")
                self.close()
                return False, out + "\nFestival exited"
            self._buf += chunk
        before, _, after = self._buf.partition(marker)
        self._buf = after.split(b"\n", 1)[1] if b"\n" in after else b""
        return True, before.decode("utf-8", errors="replace")

    def _drain(self) -> str:
        out = self._buf.decode("utf-8", errors="replace")
        self._buf = b""
        return out

    def close(self) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        try:
            if proc.poll() is None and proc.stdin is not None:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
                try:
                    proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        finally:
            if proc.stdout is not None:
                proc.stdout.close()


def check_festival(voice: str = DEFAULT_VOICE) -> None:
    """Raise `FestivalNotFoundError` (saying which Debian packages to install) unless
    ``festival`` runs and can load ``voice``."""
    f = _Festival(_voice_name(voice))
    f.close()


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _atomic_write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    import soundfile as sf

    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    sf.write(tmp, audio, sample_rate, subtype="PCM_16", format="WAV")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True)
class _Item:
    clip_id: str
    raw: str
    spoken: str


def _paths(out_dir: Path, clip_id: str) -> tuple[Path, Path, Path, Path]:
    a = out_dir / "alignments"
    return out_dir / "wavs" / f"{clip_id}.wav", a / f"{clip_id}.words", a / f"{clip_id}.segs", a / f"{clip_id}.txt"


def _existing_duration(out_dir: Path, item: _Item, sample_rate: int) -> float | None:
    """Duration (s) of an already built clip that is complete and matches ``item``, else None."""
    import soundfile as sf

    wav, words, segs, txt = _paths(out_dir, item.clip_id)
    try:
        if txt.read_text(encoding="utf-8").rstrip("\n") != item.spoken:
            return None
        info = sf.info(str(wav))
        if info.samplerate != sample_rate or info.channels != 1 or info.subtype != "PCM_16" or info.frames <= 0:
            return None
        w, s = read_alignment(words), read_alignment(segs)
        duration = info.frames / info.samplerate
        if not w or not s or abs(s[-1][0] - duration) > _END_TOLERANCE_S or w[-1][0] > duration + _END_TOLERANCE_S:
            return None
        return duration
    except (OSError, ValueError, RuntimeError):
        return None


def _synthesize(fest: _Festival, item: _Item, out_dir: Path, tmp_dir: Path, sample_rate: int) -> float:
    """Synthesize one clip and write its files; return its duration. Raises RuntimeError on failure."""
    import soundfile as sf
    import soxr

    if not item.spoken.strip():
        raise RuntimeError("normalized text is empty")
    raw_wav, raw_words, raw_segs = (tmp_dir / f"{item.clip_id}.{ext}" for ext in ("wav", "words", "segs"))
    for p in (raw_wav, raw_words, raw_segs):
        p.unlink(missing_ok=True)
    scheme = (
        "(set! prodiff_utt nil) "
        f"(set! prodiff_utt (Utterance Text {_scheme_string(item.spoken)})) "
        "(utt.synth prodiff_utt) "
        f"(utt.save.wave prodiff_utt {_scheme_string(str(raw_wav))} 'riff) "
        f"(utt.save.words prodiff_utt {_scheme_string(str(raw_words))}) "
        f"(utt.save.segs prodiff_utt {_scheme_string(str(raw_segs))})"
    )
    finished, out = fest.command(scheme)
    if not finished:
        raise RuntimeError(out.strip().splitlines()[-1] if out.strip() else "Festival stopped")
    if _ERROR.search(out):
        raise RuntimeError("Festival: " + " | ".join(ln for ln in out.strip().splitlines() if ln.strip())[:300])
    if not (raw_wav.exists() and raw_words.exists() and raw_segs.exists()):
        raise RuntimeError("Festival wrote no output" + (f": {out.strip()[:300]}" if out.strip() else ""))

    audio, sr_in = sf.read(str(raw_wav), dtype="float32", always_2d=True)
    audio = audio.mean(axis=1)
    if audio.size == 0:
        raise RuntimeError("Festival produced empty audio")
    if sr_in != sample_rate:
        audio = soxr.resample(audio, sr_in, sample_rate, quality="VHQ")
    audio = np.clip(audio, -1.0, 32767 / 32768)
    words = _merge_festival_words(parse_festival_labels(raw_words.read_text(encoding="utf-8", errors="replace")))
    segs = parse_festival_labels(raw_segs.read_text(encoding="utf-8", errors="replace"))
    if not words or not segs:
        raise RuntimeError("Festival returned no word or segment labels")
    duration = len(audio) / sample_rate
    if abs(segs[-1][0] - duration) > _END_TOLERANCE_S:
        raise RuntimeError(f"labels end at {segs[-1][0]:.3f} s but the audio lasts {duration:.3f} s")

    wav, words_path, segs_path, txt_path = _paths(out_dir, item.clip_id)
    # Alignments first, wav last: a wav on disk implies its alignments are complete.
    _atomic_write_text(words_path, _format_alignment(words))
    _atomic_write_text(segs_path, _format_alignment(segs))
    _atomic_write_text(txt_path, item.spoken + "\n")
    _atomic_write_wav(wav, audio, sample_rate)
    for p in (raw_wav, raw_words, raw_segs):
        p.unlink(missing_ok=True)
    return duration


# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------


def _metadata_field(text: str) -> str:
    return " ".join(text.split())


def build_festival_corpus(
    sentences: list[str],
    out_dir: Path,
    voice: str = DEFAULT_VOICE,
    jobs: int = 2,
    normalize: Callable[[str], str] | None = None,
    sample_rate: int = 22050,
    id_prefix: str = "DEMO",
    *,
    show_progress: bool = True,
) -> BuildSummary:
    """Synthesize ``sentences`` with Festival into an LJSpeech-format corpus in ``out_dir``.

    Clip ``i`` (0-based) of the list gets the ID ``f"{id_prefix}-{i + 1:05d}"``. Festival
    speaks ``normalize(sentence)`` (identity when ``normalize`` is None); metadata.csv
    holds ``ID|sentence|normalize(sentence)`` for every successful clip. Existing
    valid clips are kept (resume). Failures are reported, not raised; the summary is
    printed and returned. Raises `FestivalNotFoundError` when Festival or the voice
    is missing.
    """
    from rich.console import Console

    t0 = time.monotonic()
    console = Console(stderr=True)
    out_dir = Path(out_dir)
    voice = _voice_name(voice)
    jobs = max(1, int(jobs))
    norm = normalize or (lambda s: s)
    for sub in ("wavs", "alignments"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
        for stale in (out_dir / sub).glob(".*.tmp*"):  # left by a killed build
            stale.unlink(missing_ok=True)

    failures: list[tuple[str, str, str]] = []
    items: list[_Item] = []
    for i, sentence in enumerate(sentences):
        clip_id = f"{id_prefix}-{i + 1:05d}"
        raw = _metadata_field(sentence)
        if "|" in raw:
            failures.append((clip_id, raw, "text contains '|', the metadata.csv separator"))
            continue
        try:
            spoken = _metadata_field(norm(raw))
        except Exception as e:  # a frontend bug must not stop the build
            failures.append((clip_id, raw, f"normalize failed: {type(e).__name__}: {e}"))
            continue
        if "|" in spoken:
            failures.append((clip_id, raw, "normalized text contains '|'"))
            continue
        if not any(c.isalnum() for c in spoken):
            failures.append((clip_id, raw, "normalized text has no words"))
            continue
        items.append(_Item(clip_id, raw, spoken))

    durations: dict[str, float] = {}
    todo: list[_Item] = []
    for item in items:
        d = _existing_duration(out_dir, item, sample_rate)
        if d is None:
            todo.append(item)
        else:
            durations[item.clip_id] = d
    resumed = len(durations)

    if todo:
        check_festival(voice)  # clear error before any thread starts
    tmp_dir = out_dir / ".festival_tmp"
    tmp_dir.mkdir(exist_ok=True)
    work: queue.Queue[_Item] = queue.Queue()
    for item in todo:
        work.put(item)
    results: queue.Queue[tuple[_Item, float | None, str]] = queue.Queue()
    stop = threading.Event()
    fatal: list[BaseException] = []

    def worker() -> None:
        fest: _Festival | None = None
        try:
            while not stop.is_set():
                try:
                    item = work.get_nowait()
                except queue.Empty:
                    return
                if fest is None or fest.proc is None:
                    fest = _Festival(voice)
                try:
                    results.put((item, _synthesize(fest, item, out_dir, tmp_dir, sample_rate), ""))
                except (RuntimeError, OSError, ValueError) as e:
                    results.put((item, None, str(e) or type(e).__name__))
        except BaseException as e:  # e.g. Festival cannot be restarted
            fatal.append(e)
            stop.set()
        finally:
            if fest is not None:
                fest.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(jobs, max(1, len(todo))))]
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    interactive = show_progress and console.is_terminal
    log_every = max(1, len(todo) // 20)
    progress = Progress(
        TextColumn("[bold]festival[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not interactive,
    )
    if show_progress and not interactive:
        console.print(f"festival: {len(todo)} to synthesize, {resumed} resumed, jobs={len(threads)}")
    try:
        with progress:
            task = progress.add_task(f"{out_dir.name}", total=len(todo), failed=0)
            for t in threads:
                t.start()
            done = 0
            while done < len(todo) and not (fatal and not any(t.is_alive() for t in threads)):
                try:
                    item, duration, reason = results.get(timeout=0.5)
                except queue.Empty:
                    continue
                done += 1
                if duration is None:
                    failures.append((item.clip_id, item.raw, reason))
                else:
                    durations[item.clip_id] = duration
                progress.update(task, advance=1, failed=len(failures))
                if show_progress and not interactive and (done % log_every == 0 or done == len(todo)):
                    el = time.monotonic() - t0
                    console.print(
                        f"festival: {done}/{len(todo)} done, {len(failures)} failed, "
                        f"{el:.0f} s elapsed, {done / max(el, 1e-9):.2f} clips/s"
                    )
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=_SENTENCE_TIMEOUT_S)
    if fatal:
        raise fatal[0]
    shutil.rmtree(tmp_dir, ignore_errors=True)

    rows = [f"{it.clip_id}|{it.raw}|{it.spoken}\n" for it in items if it.clip_id in durations]
    _atomic_write_text(out_dir / "metadata.csv", "".join(rows))
    failures.sort()
    fail_path = out_dir / "failures.tsv"
    if failures:
        _atomic_write_text(fail_path, "".join(f"{i}\t{r}\t{t}\n" for i, t, r in failures))
    elif fail_path.exists():
        fail_path.unlink()
    summary = BuildSummary(
        out_dir=out_dir,
        clips=len(rows),
        synthesized=len(durations) - resumed,
        resumed=resumed,
        audio_seconds=sum(durations.values()),
        failures=failures,
        wall_seconds=time.monotonic() - t0,
        sample_rate=sample_rate,
        voice=voice,
    )
    _atomic_write_text(out_dir / "build_summary.json", json.dumps(summary.to_dict(), indent=2) + "\n")
    if show_progress:
        print(str(summary), flush=True)
    return summary

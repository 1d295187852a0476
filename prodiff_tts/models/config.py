"""Typed, frozen configuration of the acoustic model: one dataclass per sub-module, nested in AcousticConfig.

``AcousticConfig.to_dict()`` / ``from_dict()`` round-trip through plain dicts (YAML); unknown keys raise, so a
typo in a config file is an error rather than a silently ignored setting. Two presets:

* ``AcousticConfig.ljspeech()``: ProDiff's size (FastSpeech 2 encoder 4 x 256, 2 heads, conv FFN 1024 with
  kernel 9; WaveNet denoiser 20 x 256 with dilation cycle 1).
* ``AcousticConfig.demo()``: small enough to train on 2 CPU cores in a few hours.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Mapping, Sequence

__all__ = [
    "EncoderConfig",
    "VarianceConfig",
    "AlignerConfig",
    "DenoiserConfig",
    "AcousticConfig",
    "PRESETS",
    "preset",
]


def _positive(name: str, value: int) -> None:
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")


def _probability(name: str, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must lie in [0, 1), got {value}")


def _plain(value: Any) -> Any:
    """Tuples as lists, recursively: ``to_dict`` output is plain YAML/JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _from_mapping(cls: type, d: Mapping[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(d) - names)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} keys {unknown}; known: {sorted(names)}")
    return cls(**dict(d))


@dataclass(frozen=True)
class EncoderConfig:
    """Phoneme encoder: embedding + sinusoidal positions + FFT blocks (self-attention + conv FFN)."""

    hidden: int = 256
    n_layers: int = 4
    n_heads: int = 2
    ffn_hidden: int = 1024
    kernel_size: int = 9
    dropout: float = 0.1
    attention_dropout: float = 0.1
    pre_ln: bool = True  # pre-LN (NATSpeech) trains stably without warm-up; False = FastSpeech post-LN

    def __post_init__(self) -> None:
        for name in ("hidden", "n_layers", "n_heads", "ffn_hidden", "kernel_size"):
            _positive(name, getattr(self, name))
        if self.hidden % self.n_heads:
            raise ValueError(f"hidden {self.hidden} must be divisible by n_heads {self.n_heads}")
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd, got {self.kernel_size}")
        _probability("dropout", self.dropout)
        _probability("attention_dropout", self.attention_dropout)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "EncoderConfig":
        return _from_mapping(cls, d)


@dataclass(frozen=True)
class VarianceConfig:
    """Duration / pitch / energy predictors (FastPitch style, phoneme level) and the value embeddings."""

    filter_size: int = 256
    kernel_size: int = 3
    n_layers: int = 2
    dropout: float = 0.1
    embed_kernel_size: int = 3  # conv1d(1 -> hidden) embedding of the phoneme-level pitch / energy
    use_energy: bool = True
    # scale of the predictors' gradient into the encoder (NATSpeech's predictor_grad); 0 detaches, 1 = FastPitch
    predictor_grad: float = 0.1

    def __post_init__(self) -> None:
        for name in ("filter_size", "kernel_size", "n_layers", "embed_kernel_size"):
            _positive(name, getattr(self, name))
        if self.kernel_size % 2 == 0 or self.embed_kernel_size % 2 == 0:
            raise ValueError("variance kernel sizes must be odd")
        _probability("dropout", self.dropout)
        if not 0.0 <= self.predictor_grad <= 1.0:
            raise ValueError(f"predictor_grad must lie in [0, 1], got {self.predictor_grad}")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "VarianceConfig":
        return _from_mapping(cls, d)


@dataclass(frozen=True)
class AlignerConfig:
    """RAD-TTS / FastPitch alignment learning: conv key/query encoders, L2 soft attention, beta-binomial prior."""

    attention_channels: int = 80
    temperature: float = 0.0005  # multiplies the squared L2 distance (FastPitch's value)
    prior_scaling: float = 1.0  # beta-binomial prior a = scaling * (t + 1), b = scaling * (T - t)
    use_prior: bool = True
    blank_logprob: float = -1.0  # CTC blank logit of the forward-sum loss

    def __post_init__(self) -> None:
        _positive("attention_channels", self.attention_channels)
        if self.temperature <= 0 or self.prior_scaling <= 0:
            raise ValueError("temperature and prior_scaling must be > 0")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "AlignerConfig":
        return _from_mapping(cls, d)


@dataclass(frozen=True)
class DenoiserConfig:
    """Non-causal WaveNet (DiffSinger / ProDiff) predicting x0."""

    residual_channels: int = 256
    n_layers: int = 20
    kernel_size: int = 3
    dilation_cycle: int = 1  # dilation of layer i = 2 ** (i % dilation_cycle); ProDiff: 1 (no dilation)
    time_scale: float = 1000.0  # the step embedding sees t * time_scale
    # skip sum scaled by 1/sqrt(layers run) ("used") or 1/sqrt(all layers) ("all") when layers are skipped
    skip_norm: str = "used"
    # Multi-stage denoiser (docs/multistage.md; Zhang et al. 2024): the first `trunk_layers` residual layers are
    # shared by all timesteps, each stage has its own remaining layers and skip/output projections. One stage
    # is the plain denoiser (same weights, same outputs); `trunk_layers` is then ignored.
    n_stages: int = 1
    # interior stage edges in (0, 1), increasing: stage s serves t in [edge_s, edge_{s+1}) of (0, *these, 1].
    # Empty with n_stages > 1 = not resolved yet: teacher training finds them by clustering (stages.json)
    stage_boundaries: tuple[float, ...] = ()
    trunk_layers: int | None = None  # residual layers shared by all stages (0..n_layers); needed with stages

    def __post_init__(self) -> None:
        for name in ("residual_channels", "n_layers", "kernel_size", "dilation_cycle", "n_stages"):
            _positive(name, getattr(self, name))
        self._check_stages()
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd, got {self.kernel_size}")
        if self.residual_channels % 2:
            raise ValueError("residual_channels must be even (sinusoidal step embedding)")
        if self.skip_norm not in ("used", "all"):
            raise ValueError(f"skip_norm must be 'used' or 'all', got {self.skip_norm!r}")
        if self.time_scale <= 0:
            raise ValueError("time_scale must be > 0")

    def _check_stages(self) -> None:
        b = self.stage_boundaries
        if isinstance(b, (str, bytes)) or not isinstance(b, Sequence):
            raise ValueError(f"stage_boundaries must be a list of numbers, got {b!r}")
        try:
            b = tuple(float(x) for x in b)
        except (TypeError, ValueError):
            raise ValueError(f"stage_boundaries must be a list of numbers, got {list(b)}") from None
        object.__setattr__(self, "stage_boundaries", b)  # YAML gives a list; stored as a tuple (hashable, frozen)
        if any(not 0.0 < x < 1.0 for x in b):
            raise ValueError(f"stage_boundaries must lie strictly inside (0, 1), got {list(b)}")
        if any(not x < y for x, y in zip(b, b[1:])):
            raise ValueError(f"stage_boundaries must be strictly increasing, got {list(b)}")
        if b and len(b) != self.n_stages - 1:
            raise ValueError(f"{len(b)} stage_boundaries make {len(b) + 1} stages, but n_stages is {self.n_stages}")
        t = self.trunk_layers
        if t is not None and (isinstance(t, bool) or not isinstance(t, int) or not 0 <= t <= self.n_layers):
            raise ValueError(f"trunk_layers must be an integer in [0, n_layers={self.n_layers}], got {t!r}")
        if self.n_stages > 1 and t is None:
            raise ValueError(f"n_stages={self.n_stages} needs trunk_layers (residual layers shared by all stages, "
                             f"0..{self.n_layers})")

    @property
    def stages_resolved(self) -> bool:
        """False while ``n_stages > 1`` and the boundaries are still to be found (no model can be built yet)."""
        return self.n_stages == 1 or len(self.stage_boundaries) == self.n_stages - 1

    @property
    def stage_edges(self) -> tuple[float, ...]:
        """``(0, *stage_boundaries, 1)``: stage s serves ``edges[s] <= t < edges[s + 1]`` (the last includes 1)."""
        return (0.0, *self.stage_boundaries, 1.0)

    @property
    def shared_layers(self) -> int:
        """Residual layers of the trunk (all of them with one stage)."""
        return self.n_layers if self.n_stages == 1 else int(self.trunk_layers or 0)

    @property
    def head_layers(self) -> int:
        """Residual layers of each stage's head (0 with one stage: its head is the skip/output projections)."""
        return self.n_layers - self.shared_layers

    @property
    def stored_layers(self) -> int:
        """Residual layers with parameters: trunk + one head per stage. A call runs ``n_layers`` of them, so
        compare parameter counts with a one-stage model of this many layers (docs/multistage.md)."""
        return self.shared_layers + self.n_stages * self.head_layers

    def with_stage_boundaries(self, boundaries: Sequence[float]) -> "DenoiserConfig":
        return replace(self, stage_boundaries=tuple(float(x) for x in boundaries))

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "DenoiserConfig":
        return _from_mapping(cls, d)


@dataclass(frozen=True)
class AcousticConfig:
    """The whole acoustic model. ``n_mels`` must equal the audio config's ``n_mels``."""

    n_mels: int = 80
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    variance: VarianceConfig = field(default_factory=VarianceConfig)
    aligner: AlignerConfig = field(default_factory=AlignerConfig)
    denoiser: DenoiserConfig = field(default_factory=DenoiserConfig)

    _SUB = {"encoder": EncoderConfig, "variance": VarianceConfig, "aligner": AlignerConfig, "denoiser": DenoiserConfig}

    def __post_init__(self) -> None:
        _positive("n_mels", self.n_mels)
        for name, cls in self._SUB.items():
            if not isinstance(getattr(self, name), cls):
                raise TypeError(f"{name} must be a {cls.__name__}, got {type(getattr(self, name)).__name__}")

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "AcousticConfig":
        d = dict(d)
        unknown = sorted(set(d) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown AcousticConfig keys {unknown}")
        for name, sub in cls._SUB.items():
            if name in d and not isinstance(d[name], sub):
                d[name] = sub.from_dict(d[name])
        return cls(**d)

    @classmethod
    def ljspeech(cls) -> "AcousticConfig":
        """ProDiff's size (NATSpeech fs2 encoder + DiffNet denoiser): ``configs/model/ljspeech.yaml``."""
        return preset("ljspeech")

    @classmethod
    def demo(cls) -> "AcousticConfig":
        """Small model for CPU training on the demo corpus: ``configs/model/demo.yaml``."""
        return preset("demo")


PRESETS = ("demo", "ljspeech", "tiny")


def preset(name: str) -> AcousticConfig:
    """A model preset; the values live in the Hydra group ``prodiff_tts/configs/model/<name>.yaml`` (one source)."""
    from importlib.resources import files

    import yaml

    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    text = files("prodiff_tts.configs").joinpath("model", f"{name}.yaml").read_text()
    return AcousticConfig.from_dict(yaml.safe_load(text))

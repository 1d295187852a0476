"""HiFi-GAN (Kong et al., NeurIPS 2020): generator V1/V2/V3 and the multi-period / multi-scale
discriminators, following the reference implementation (github.com/jik876/hifi-gan) layer for layer, so
its released generator checkpoints load with :func:`convert_reference_state_dict`.

Plus the multi-resolution spectrogram discriminator of UnivNet (Jang et al. 2021), which Vocos pairs
with the MPD.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm, weight_norm

from ..audio.config import AudioConfig
from .base import Vocoder

__all__ = [
    "HIFIGAN_PRESETS",
    "HiFiGANGenerator",
    "ResBlock1",
    "ResBlock2",
    "DiscriminatorP",
    "MultiPeriodDiscriminator",
    "DiscriminatorS",
    "MultiScaleDiscriminator",
    "DiscriminatorR",
    "MultiResolutionDiscriminator",
    "DiscriminatorOutput",
    "convert_reference_state_dict",
    "remove_all_weight_norm",
]

LRELU_SLOPE = 0.1

# The paper's configurations for hop 256 (config_v1.json / config_v2.json / config_v3.json).
HIFIGAN_PRESETS: dict[str, dict[str, Any]] = {
    "v1": dict(
        resblock="1",
        upsample_rates=[8, 8, 2, 2],
        upsample_kernel_sizes=[16, 16, 4, 4],
        upsample_initial_channel=512,
        resblock_kernel_sizes=[3, 7, 11],
        resblock_dilation_sizes=[[1, 3, 5], [1, 3, 5], [1, 3, 5]],
    ),
    "v2": dict(
        resblock="1",
        upsample_rates=[8, 8, 2, 2],
        upsample_kernel_sizes=[16, 16, 4, 4],
        upsample_initial_channel=128,
        resblock_kernel_sizes=[3, 7, 11],
        resblock_dilation_sizes=[[1, 3, 5], [1, 3, 5], [1, 3, 5]],
    ),
    "v3": dict(
        resblock="2",
        upsample_rates=[8, 8, 4],
        upsample_kernel_sizes=[16, 16, 8],
        upsample_initial_channel=256,
        resblock_kernel_sizes=[3, 5, 7],
        resblock_dilation_sizes=[[1, 2], [2, 6], [3, 12]],
    ),
}


def _get_padding(kernel_size: int, dilation: int = 1) -> int:
    return (kernel_size * dilation - dilation) // 2


def _init(m: nn.Module, std: float = 0.01) -> nn.Module:
    m.weight.data.normal_(0.0, std)
    return m


def _wn(m: nn.Module, enabled: bool) -> nn.Module:
    return weight_norm(m) if enabled else m


def _has_parametrization(m: nn.Module) -> bool:
    return parametrize.is_parametrized(m, "weight")


def remove_all_weight_norm(module: nn.Module) -> nn.Module:
    """Fold every weight-norm parametrization under ``module`` into a plain weight (in place)."""
    for m in module.modules():
        if parametrize.is_parametrized(m, "weight"):
            names = [type(p).__name__ for p in m.parametrizations["weight"]]
            if "_WeightNorm" in names:
                parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
    return module


class ResBlock1(nn.Module):
    def __init__(self, channels: int, kernel_size: int = 3, dilation: Sequence[int] = (1, 3, 5), wn: bool = True):
        super().__init__()
        self.convs1 = nn.ModuleList(
            _wn(_init(nn.Conv1d(channels, channels, kernel_size, 1, dilation=d, padding=_get_padding(kernel_size, d))), wn)
            for d in dilation
        )
        self.convs2 = nn.ModuleList(
            _wn(_init(nn.Conv1d(channels, channels, kernel_size, 1, dilation=1, padding=_get_padding(kernel_size))), wn)
            for _ in dilation
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for c1, c2 in zip(self.convs1, self.convs2):
            xt = c1(F.leaky_relu(x, LRELU_SLOPE))
            xt = c2(F.leaky_relu(xt, LRELU_SLOPE))
            x = xt + x
        return x


class ResBlock2(nn.Module):
    def __init__(self, channels: int, kernel_size: int = 3, dilation: Sequence[int] = (1, 3), wn: bool = True):
        super().__init__()
        self.convs = nn.ModuleList(
            _wn(_init(nn.Conv1d(channels, channels, kernel_size, 1, dilation=d, padding=_get_padding(kernel_size, d))), wn)
            for d in dilation
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for c in self.convs:
            x = c(F.leaky_relu(x, LRELU_SLOPE)) + x
        return x


class HiFiGANGenerator(Vocoder):
    """HiFi-GAN generator. ``HiFiGANGenerator.from_preset("v1")`` gives the paper's V1 (13.9 M params).

    ``prod(upsample_rates)`` must equal the audio config's hop, so ``T`` frames give ``T * hop`` samples.
    Weight norm is on for training (``weight_norm=True``) and removable for inference/export.
    """

    name = "hifigan"

    def __init__(
        self,
        audio_config: AudioConfig | None = None,
        resblock: str = "1",
        upsample_rates: Sequence[int] = (8, 8, 2, 2),
        upsample_kernel_sizes: Sequence[int] = (16, 16, 4, 4),
        upsample_initial_channel: int = 512,
        resblock_kernel_sizes: Sequence[int] = (3, 7, 11),
        resblock_dilation_sizes: Sequence[Sequence[int]] = ((1, 3, 5), (1, 3, 5), (1, 3, 5)),
        weight_norm: bool = True,
        preset: str | None = None,
    ) -> None:
        super().__init__(audio_config)
        ac = self.audio_config
        if math.prod(upsample_rates) != ac.hop_length:
            raise ValueError(f"prod(upsample_rates)={math.prod(upsample_rates)} != hop_length {ac.hop_length}")
        if len(upsample_rates) != len(upsample_kernel_sizes):
            raise ValueError("upsample_rates and upsample_kernel_sizes differ in length")
        for u, k in zip(upsample_rates, upsample_kernel_sizes):
            if k < u or (k - u) % 2:
                raise ValueError(f"upsample kernel {k} must be >= rate {u} with k - u even (exact length)")
        if len(resblock_kernel_sizes) != len(resblock_dilation_sizes):
            raise ValueError("resblock_kernel_sizes and resblock_dilation_sizes differ in length")
        if resblock not in ("1", "2"):
            raise ValueError(f"resblock must be '1' or '2', got {resblock!r}")
        self._args = dict(
            resblock=str(resblock),
            upsample_rates=[int(u) for u in upsample_rates],
            upsample_kernel_sizes=[int(k) for k in upsample_kernel_sizes],
            upsample_initial_channel=int(upsample_initial_channel),
            resblock_kernel_sizes=[int(k) for k in resblock_kernel_sizes],
            resblock_dilation_sizes=[[int(d) for d in ds] for ds in resblock_dilation_sizes],
        )
        self.preset = preset
        self.num_kernels = len(resblock_kernel_sizes)
        self.num_upsamples = len(upsample_rates)
        wn = weight_norm
        self.conv_pre = _wn(nn.Conv1d(ac.n_mels, upsample_initial_channel, 7, 1, padding=3), wn)
        block = ResBlock1 if resblock == "1" else ResBlock2
        self.ups = nn.ModuleList()
        for i, (u, k) in enumerate(zip(upsample_rates, upsample_kernel_sizes)):
            cin, cout = upsample_initial_channel // (2**i), upsample_initial_channel // (2 ** (i + 1))
            self.ups.append(_wn(_init(nn.ConvTranspose1d(cin, cout, k, u, padding=(k - u) // 2)), wn))
        self.resblocks = nn.ModuleList()
        ch = upsample_initial_channel
        for i in range(self.num_upsamples):
            ch = upsample_initial_channel // (2 ** (i + 1))
            for k, d in zip(resblock_kernel_sizes, resblock_dilation_sizes):
                self.resblocks.append(block(ch, k, d, wn=wn))
        self.conv_post = _wn(_init(nn.Conv1d(ch, 1, 7, 1, padding=3)), wn)

    @classmethod
    def from_preset(cls, preset: str, audio_config: AudioConfig | None = None, **overrides: Any) -> "HiFiGANGenerator":
        key = preset.lower().removeprefix("hifigan-").removeprefix("hifigan_")
        if key not in HIFIGAN_PRESETS:
            raise ValueError(f"unknown HiFi-GAN preset {preset!r}; known: {sorted(HIFIGAN_PRESETS)}")
        args = {**HIFIGAN_PRESETS[key], **overrides}
        return cls(audio_config=audio_config, preset=key, **args)

    def generate(self, log_mel: torch.Tensor) -> torch.Tensor:
        x = self.conv_pre(log_mel)
        for i in range(self.num_upsamples):
            x = F.leaky_relu(x, LRELU_SLOPE)
            x = self.ups[i](x)
            xs = None
            for j in range(self.num_kernels):
                r = self.resblocks[i * self.num_kernels + j](x)
                xs = r if xs is None else xs + r
            x = xs / self.num_kernels
        x = F.leaky_relu(x)  # default slope 0.01, as in the reference implementation
        x = self.conv_post(x)
        return torch.tanh(x).squeeze(1)

    @property
    def has_weight_norm(self) -> bool:
        return _has_parametrization(self.conv_pre)

    def remove_weight_norm(self) -> None:
        remove_all_weight_norm(self)

    def config(self) -> dict[str, Any]:
        return {"audio_config": self.audio_config.to_dict(), **self._args, "preset": self.preset}


def convert_reference_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Keys of the reference implementation (``torch.nn.utils.weight_norm``: ``*.weight_g``/``*.weight_v``)
    -> this module's (``*.parametrizations.weight.original0``/``original1``). Plain weights pass through.
    Load the reference file yourself with ``torch.load(path, map_location="cpu", weights_only=True)
    ["generator"]``."""
    out = {}
    for k, v in state.items():
        if k.endswith(".weight_g"):
            out[k[: -len(".weight_g")] + ".parametrizations.weight.original0"] = v
        elif k.endswith(".weight_v"):
            out[k[: -len(".weight_v")] + ".parametrizations.weight.original1"] = v
        else:
            out[k] = v
    return out


# --------------------------------------------------------------------------------------------------
# Discriminators. Each returns a DiscriminatorOutput for (real, fake): per sub-discriminator scores
# and feature maps.
# --------------------------------------------------------------------------------------------------
DiscriminatorOutput = tuple[list[torch.Tensor], list[torch.Tensor], list[list[torch.Tensor]], list[list[torch.Tensor]]]


def _as_b1t(y: torch.Tensor) -> torch.Tensor:
    if y.dim() == 2:
        return y.unsqueeze(1)
    if y.dim() == 3 and y.shape[1] == 1:
        return y
    raise ValueError(f"expected waveform [B, T] or [B, 1, T], got {tuple(y.shape)}")


class _MultiDiscriminator(nn.Module):
    discriminators: nn.ModuleList

    def forward(self, y: torch.Tensor, y_hat: torch.Tensor | None = None) -> DiscriminatorOutput:
        """Scores and feature maps of real ``y`` and generated ``y_hat`` ([B, T] or [B, 1, T]).

        Returns (real_scores, fake_scores, real_fmaps, fake_fmaps); lists over sub-discriminators, the
        fake lists are empty when ``y_hat`` is None. Real and fake go through each sub-discriminator as one
        concatenated batch when both are given.
        """
        y = _as_b1t(y)
        B = y.shape[0]
        x = y if y_hat is None else torch.cat([y, _as_b1t(y_hat)], dim=0)
        rs, gs, frs, fgs = [], [], [], []
        for d in self.discriminators:
            score, fmap = d(x)
            rs.append(score[:B])
            frs.append([f[:B] for f in fmap])
            if y_hat is not None:
                gs.append(score[B:])
                fgs.append([f[B:] for f in fmap])
        return rs, gs, frs, fgs

    def score(self, y: torch.Tensor) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
        """Scores and feature maps of one batch."""
        rs, _, frs, _ = self.forward(y)
        return rs, frs


class DiscriminatorP(nn.Module):
    def __init__(
        self,
        period: int,
        kernel_size: int = 5,
        stride: int = 3,
        use_spectral_norm: bool = False,
        channels: Sequence[int] = (32, 128, 512, 1024, 1024),
    ):
        super().__init__()
        self.period = period
        norm = spectral_norm if use_spectral_norm else weight_norm
        if len(channels) != 5:
            raise ValueError(f"DiscriminatorP needs 5 channel counts, got {list(channels)}")
        chans = [1, *channels]
        pad = (_get_padding(5, 1), 0)
        self.convs = nn.ModuleList(
            [norm(nn.Conv2d(chans[i], chans[i + 1], (kernel_size, 1), (stride, 1), padding=pad)) for i in range(4)]
            + [norm(nn.Conv2d(chans[4], chans[5], (kernel_size, 1), 1, padding=(2, 0)))]
        )
        self.conv_post = norm(nn.Conv2d(chans[5], 1, (3, 1), 1, padding=(1, 0)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        fmap = []
        b, c, t = x.shape
        if t % self.period:
            n_pad = self.period - (t % self.period)
            x = F.pad(x, (0, n_pad), "reflect")
            t = t + n_pad
        x = x.view(b, c, t // self.period, self.period)
        for layer in self.convs:
            x = F.leaky_relu(layer(x), LRELU_SLOPE)
            fmap.append(x)
        x = self.conv_post(x)
        fmap.append(x)
        return torch.flatten(x, 1, -1), fmap


class MultiPeriodDiscriminator(_MultiDiscriminator):
    """HiFi-GAN's MPD. ``channels`` (default: the paper's 32, 128, 512, 1024, 1024) can be narrowed for
    cheap CPU training."""

    def __init__(self, periods: Sequence[int] = (2, 3, 5, 7, 11), channels: Sequence[int] = (32, 128, 512, 1024, 1024)):
        super().__init__()
        self.periods = list(periods)
        self.discriminators = nn.ModuleList(DiscriminatorP(p, channels=channels) for p in self.periods)


class DiscriminatorS(nn.Module):
    def __init__(self, use_spectral_norm: bool = False):
        super().__init__()
        norm = spectral_norm if use_spectral_norm else weight_norm
        self.convs = nn.ModuleList(
            [
                norm(nn.Conv1d(1, 128, 15, 1, padding=7)),
                norm(nn.Conv1d(128, 128, 41, 2, groups=4, padding=20)),
                norm(nn.Conv1d(128, 256, 41, 2, groups=16, padding=20)),
                norm(nn.Conv1d(256, 512, 41, 4, groups=16, padding=20)),
                norm(nn.Conv1d(512, 1024, 41, 4, groups=16, padding=20)),
                norm(nn.Conv1d(1024, 1024, 41, 1, groups=16, padding=20)),
                norm(nn.Conv1d(1024, 1024, 5, 1, padding=2)),
            ]
        )
        self.conv_post = norm(nn.Conv1d(1024, 1, 3, 1, padding=1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        fmap = []
        for layer in self.convs:
            x = F.leaky_relu(layer(x), LRELU_SLOPE)
            fmap.append(x)
        x = self.conv_post(x)
        fmap.append(x)
        return torch.flatten(x, 1, -1), fmap


class _PooledS(nn.Module):
    """A scale discriminator preceded by ``n_pool`` average poolings (factor 2 each)."""

    def __init__(self, n_pool: int, use_spectral_norm: bool):
        super().__init__()
        self.n_pool = n_pool
        self.disc = DiscriminatorS(use_spectral_norm=use_spectral_norm)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        for _ in range(self.n_pool):
            x = F.avg_pool1d(x, 4, 2, padding=2)
        return self.disc(x)


class MultiScaleDiscriminator(_MultiDiscriminator):
    """Three scale discriminators on raw, ×2 and ×4 average-pooled audio; the first uses spectral norm."""

    def __init__(self, num_scales: int = 3):
        super().__init__()
        self.discriminators = nn.ModuleList(_PooledS(i, use_spectral_norm=(i == 0)) for i in range(num_scales))


class DiscriminatorR(nn.Module):
    """UnivNet's spectrogram discriminator for one STFT resolution (n_fft, hop, win)."""

    def __init__(self, resolution: Sequence[int], channels: int = 32):
        super().__init__()
        self.n_fft, self.hop, self.win = (int(v) for v in resolution)
        self.register_buffer("window", torch.hann_window(self.win), persistent=False)
        self.convs = nn.ModuleList(
            [
                weight_norm(nn.Conv2d(1, channels, (3, 9), padding=(1, 4))),
                weight_norm(nn.Conv2d(channels, channels, (3, 9), stride=(1, 2), padding=(1, 4))),
                weight_norm(nn.Conv2d(channels, channels, (3, 9), stride=(1, 2), padding=(1, 4))),
                weight_norm(nn.Conv2d(channels, channels, (3, 9), stride=(1, 2), padding=(1, 4))),
                weight_norm(nn.Conv2d(channels, channels, (3, 3), padding=(1, 1))),
            ]
        )
        self.conv_post = weight_norm(nn.Conv2d(channels, 1, (3, 3), padding=(1, 1)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        pad = (self.n_fft - self.hop) // 2
        y = F.pad(x, (pad, pad), mode="reflect").squeeze(1)
        spec = torch.stft(
            y.float(), self.n_fft, self.hop, self.win, window=self.window, center=False, return_complex=True
        )
        x = spec.abs().unsqueeze(1).to(x.dtype)  # [B, 1, F, frames]
        fmap = []
        for layer in self.convs:
            x = F.leaky_relu(layer(x), LRELU_SLOPE)
            fmap.append(x)
        x = self.conv_post(x)
        fmap.append(x)
        return torch.flatten(x, 1, -1), fmap


class MultiResolutionDiscriminator(_MultiDiscriminator):
    """Spectrogram discriminators at several STFT resolutions (Vocos' defaults)."""

    def __init__(
        self,
        resolutions: Sequence[Sequence[int]] = ((512, 128, 512), (1024, 256, 1024), (2048, 512, 2048)),
        channels: int = 32,
    ):
        super().__init__()
        self.discriminators = nn.ModuleList(DiscriminatorR(r, channels) for r in resolutions)

"""Writes ``data/denoiser_reference.safetensors``: weights, inputs and outputs of small one-stage denoisers,
computed by the denoiser as it was BEFORE the multi-stage option existed (run once, then kept frozen). The
test in ``test_denoiser_stages.py`` checks that today's denoiser has the same state-dict keys and shapes and
gives the same outputs for these weights: released voices load and sound the same.

    python tests/models/make_denoiser_reference.py
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn

from prodiff_tts.models import DenoiserConfig, WaveNetDenoiser

OUT = Path(__file__).resolve().parent / "data" / "denoiser_reference.safetensors"
# (name, config kwargs, layer mask or None)
CASES = [
    ("plain", dict(residual_channels=8, n_layers=4), None),
    ("dilated_all", dict(residual_channels=8, n_layers=5, dilation_cycle=2, skip_norm="all"),
     [True, False, True, True, False]),
    ("masked_used", dict(residual_channels=8, n_layers=4), [False, True, True, False]),
]


def build(kwargs: dict) -> WaveNetDenoiser:
    torch.manual_seed(0)
    den = WaveNetDenoiser(DenoiserConfig(**kwargs), n_mels=5, cond_channels=6)
    nn.init.normal_(den.output_projection.weight, std=0.3)  # zero-initialised; randomise to test the wiring
    nn.init.normal_(den.output_projection.bias, std=0.1)
    return den.eval()


def inputs() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    mask = torch.ones(3, 1, 13)
    mask[1, :, 9:] = 0
    return {"x": torch.randn(3, 5, 13, generator=g), "t": torch.tensor([0.9, 0.05, 0.5]),
            "cond": torch.randn(3, 6, 13, generator=g), "mask": mask}


def main() -> None:
    tensors = {f"input.{k}": v for k, v in inputs().items()}
    for name, kwargs, layer_mask in CASES:
        den = build(kwargs)
        tensors.update({f"{name}.state.{k}": v.contiguous() for k, v in den.state_dict().items()})
        i = inputs()
        with torch.no_grad():
            tensors[f"{name}.out"] = den(i["x"], i["t"], i["cond"], i["mask"], layer_mask)
            tensors[f"{name}.out_nomask"] = den(i["x"], i["t"], i["cond"], None, layer_mask)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(OUT))


if __name__ == "__main__":
    main()

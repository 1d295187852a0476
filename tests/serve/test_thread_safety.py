"""One Synthesizer shared by threads: each call uses its own step plan (denoiser, timesteps), whatever the
other threads run at the same time."""

import threading

import torch


def test_concurrent_step_plans_do_not_mix(tiny_synth):
    text = ["Two threads share one model."]
    assert tiny_synth.plan(2).denoiser != tiny_synth.plan(4).denoiser  # the student and the teacher
    reference = {k: tiny_synth.mel_batch(text, steps=k)[0] for k in (2, 4)}
    assert not torch.equal(reference[2], reference[4])
    wrong: list[int] = []
    start = threading.Barrier(2)

    def run(steps: int) -> None:
        start.wait()
        for _ in range(40):
            if not torch.equal(tiny_synth.mel_batch(text, steps=steps)[0], reference[steps]):
                wrong.append(steps)

    threads = [threading.Thread(target=run, args=(k,)) for k in (2, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not wrong, f"{len(wrong)} of 80 calls used another thread's denoiser"

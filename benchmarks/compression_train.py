"""Train one ``CompressionAutoencoder`` on the MNIST training set for a long run and save it,
printing the test set's bytes per image (from the learned prior) and PSNR as it goes; the
saved models go to ``compression.py --load`` for the side-by-side comparison with the codecs.

    OMP_NUM_THREADS=1 python benchmarks/compression_train.py --lmbda 0.03 -o l03.aekit

Defaults: dense 784-512-256-32 with batch normalisation and GELU, Adam 1e-3 annealed to 0 by
a cosine over 250 epochs, batch 128 (about 10 s per epoch on one core of the 2-core VM).
``--architecture conv --hidden 32,64``: two stride-2 convolutions each way (about 40 s per
epoch there).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
from _data import load_mnist

import aekit
from aekit.train.callbacks import Callback, LearningRateScheduler


def to_uint8(X: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(X * 255), 0, 255).astype(np.uint8)


def psnr_of_mse(mse: float) -> float:
    return 10 * math.log10(255.0**2 / mse)


class TestRate(Callback):
    """Every ``every`` epochs: the test set's bytes per image under the prior and its PSNR."""

    def __init__(self, images: np.ndarray, every: int, seconds: float):
        self.x = torch.from_numpy(images.astype(np.float32) / 255)
        self.every, self.seconds, self.started = every, seconds, time.perf_counter()

    @torch.no_grad()
    def on_epoch_end(self, state, logs):
        elapsed = time.perf_counter() - self.started
        if state.epoch % self.every == 0 or elapsed > self.seconds:
            module = state.module.eval()
            bits, squared = 0.0, 0.0
            for x in self.x.split(2000):
                z = module.encode(x)
                bits += module.latent.bits(z).sum().item()
                decoded = torch.clamp(torch.round(module.decode(z) * 255), 0, 255)
                squared += ((decoded - x * 255) ** 2).sum().item()
            module.train()
            print(f"  epoch {state.epoch:4d}  {elapsed:6.0f} s  {bits / len(self.x) / 8:6.2f} "
                  f"bytes/image  {psnr_of_mse(squared / self.x.numel()):6.2f} dB", flush=True)
        if elapsed > self.seconds:
            state.stop_training = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lmbda", type=float, required=True)
    parser.add_argument("-o", "--output", required=True, help="where to save the model")
    parser.add_argument("--architecture", choices=("dense", "conv"), default="dense")
    parser.add_argument("--hidden", default="512,256",
                        help="widths of the dense layers, or the channels of the conv layers")
    parser.add_argument("--latent-dim", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=250)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--every", type=int, default=25)
    parser.add_argument("--minutes", type=float, default=60, help="stop after this long")
    args = parser.parse_args()
    torch.set_num_threads(1)
    X_train, _, X_test, _ = load_mnist()
    shape = (-1, 1, 28, 28) if args.architecture == "conv" else (-1, 784)
    X_train, images = X_train.reshape(shape), to_uint8(X_test).reshape(shape)
    schedule = LearningRateScheduler(lambda epoch, lr: 0.5 * args.learning_rate * (
        1 + math.cos(math.pi * epoch / args.epochs)))
    model = aekit.CompressionAutoencoder(
        lmbda=args.lmbda, architecture=args.architecture,
        hidden_dims=tuple(int(w) for w in args.hidden.split(",")), latent_dim=args.latent_dim, activation="gelu", batch_norm=True,
        output_activation="sigmoid", learning_rate=args.learning_rate, epochs=args.epochs,
        batch_size=args.batch_size, callbacks=[schedule, TestRate(images, args.every,
                                                                     args.minutes * 60)],
        random_state=0, device="cpu")
    print(f"# {vars(args)}", flush=True)
    model.fit(X_train)
    stream = aekit.compress(model, images.astype(np.float32) / 255)
    decoded = to_uint8(aekit.decompress(stream, model))
    mse = np.mean((decoded.astype(np.float64) - images) ** 2)
    print(f"one stream: {len(stream) / len(images):.2f} bytes/image, {psnr_of_mse(mse):.2f} dB",
          flush=True)
    model.save(args.output)


if __name__ == "__main__":
    main()

"""Learned compression against standard codecs, in real bytes, side by side in one run.

MNIST: CompressionAutoencoder (conv) trained on the training set at several ``lmbda``; the
10,000 test images compressed with ``aekit.compress`` (one stream for all, and one stream per
image), against zlib and lzma (lossless) and Pillow's JPEG, WebP and AVIF at every quality (all
images as one mosaic, and one file per image). PSNR is over the whole set (10 log10(255^2 / MSE)
on 8-bit images; the autoencoder's output is rounded to 8 bits too). Prints markdown tables:
every codec's curve, bytes per image at matched PSNR (interpolated in log-bytes), throughput;
writes a rate-distortion PNG and a JSON of all points. A second set, scikit-image's
``lfw_subset`` faces (150 train / 50 test, 25x25; 30 times the epochs, batch 16), shows how it does beyond digits.

    python benchmarks/compression.py [--epochs 3] [--train-size 60000] [--quick]
    python benchmarks/compression.py --sets mnist --load l03.aekit,l06.aekit   # long-trained
"""

from __future__ import annotations

import argparse
import io
import json
import lzma
import math
import platform
import sys
import time
import zlib
from pathlib import Path

import numpy as np
from _data import load_mnist
from PIL import Image

import aekit

TARGETS = (18.0, 22.0, 26.0)
ENVELOPE = "aekit, best single stream"
PILLOW = {"JPEG": range(1, 96), "AVIF": range(0, 101), "WEBP": range(0, 101)}


def psnr(reference: np.ndarray, decoded: np.ndarray) -> float:
    mse = np.mean(np.square(reference.astype(np.float64) - decoded.astype(np.float64)))
    return 10 * math.log10(255.0**2 / mse) if mse > 0 else math.inf


def to_uint8(X: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(X * 255), 0, 255).astype(np.uint8)


def mosaic(images: np.ndarray) -> np.ndarray:
    """``(n, h, w)`` -> one ``(rows * h, cols * w)`` image (n padded to a full rectangle)."""
    n, h, w = images.shape
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    padded = np.zeros((rows * cols, h, w), np.uint8)
    padded[:n] = images
    return padded.reshape(rows, cols, h, w).transpose(0, 2, 1, 3).reshape(rows * h, cols * w)


def unmosaic(image: np.ndarray, n: int, h: int, w: int) -> np.ndarray:
    rows, cols = image.shape[0] // h, image.shape[1] // w
    return image.reshape(rows, h, cols, w).transpose(0, 2, 1, 3).reshape(-1, h, w)[:n]


def pillow_encode(image: np.ndarray, fmt: str, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, fmt, quality=quality)
    return buffer.getvalue()


def pillow_decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"))


def pillow_curves(images: np.ndarray, qualities: dict, per_image: int) -> list[dict]:
    """Every format and quality, as one mosaic of all ``images`` and as ``per_image`` files."""
    n, h, w = images.shape
    big = mosaic(images)
    points = []
    for fmt, grid in qualities.items():
        for quality in grid:
            data = pillow_encode(big, fmt, quality)
            back = unmosaic(pillow_decode(data), n, h, w)
            points.append({"codec": f"{fmt} mosaic", "quality": quality,
                           "bytes_per_image": len(data) / n, "psnr": psnr(images, back)})
            print(f"    {points[-1]}", flush=True)
        for quality in grid[::5] if per_image else ():
            files = [pillow_encode(img, fmt, quality) for img in images[:per_image]]
            back = np.stack([pillow_decode(f) for f in files])
            points.append({"codec": f"{fmt} per image", "quality": quality,
                           "bytes_per_image": sum(map(len, files)) / per_image,
                           "psnr": psnr(images[:per_image], back)})
            print(f"    {points[-1]}", flush=True)
    return points


def lossless(images: np.ndarray) -> list[dict]:
    raw = images.tobytes()
    return [{"codec": name, "quality": None, "bytes_per_image": len(pack(raw)) / len(images),
             "psnr": math.inf}
            for name, pack in (("zlib -9", lambda b: zlib.compress(b, 9)),
                               ("lzma -9", lambda b: lzma.compress(b, preset=9)))]


def as_input(images: np.ndarray, architecture: str) -> np.ndarray:
    """Images ``(n, h, w)`` for a model to be trained: flattened for a dense one."""
    return images.reshape(len(images), -1) if architecture == "dense" else images


def ours(X_train, images: np.ndarray, lmbdas, params: dict, per_image: int,
         refine: int = 0, steps=(2.0,)) -> list[dict]:
    """One codec per ``lmbda``; each also with its codes refined row by row (``refine``
    steps, if any) and at a coarser quantisation ``steps`` of its integer code (the stream
    then carries its own Laplace tables), cheap extra operating points."""
    n, h, w = images.shape
    points = []
    for lmbda in lmbdas:
        start = time.perf_counter()
        if isinstance(lmbda, str):  # a model saved by compression_train.py
            model = aekit.load(lmbda)
            lmbda = model.lmbda
        else:
            model = aekit.CompressionAutoencoder(lmbda=lmbda, **params).fit(
                as_input(X_train, params["architecture"]))
        X_test = (images.astype(np.float32) / 255).reshape(len(images), *model.input_shape_)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        data = aekit.compress(model, X_test)
        encode_s = time.perf_counter() - start
        start = time.perf_counter()
        back = to_uint8(aekit.decompress(data, model)).reshape(images.shape)
        decode_s = time.perf_counter() - start
        point = {"codec": "aekit (one stream)", "quality": lmbda, "bytes_per_image": len(data) / n,
                 "psnr": psnr(images, back), "fit_s": fit_s, "encode_per_s": n / encode_s,
                 "decode_per_s": n / decode_s}
        points.append(point)
        if refine:
            start = time.perf_counter()
            data = aekit.compress(model, X_test, refine=refine)
            encode_s = time.perf_counter() - start
            back = to_uint8(aekit.decompress(data, model)).reshape(images.shape)
            points.append({"codec": f"aekit (one stream, refined {refine})", "quality": lmbda,
                           "bytes_per_image": len(data) / n, "psnr": psnr(images, back),
                           "encode_per_s": n / encode_s, "decode_per_s": point["decode_per_s"]})
            print(f"  lmbda {lmbda}, refined {refine}: {len(data) / n:.2f} B/image, "
                  f"{points[-1]['psnr']:.2f} dB (encode {encode_s:.0f} s)", flush=True)
        for step in steps:
            data = aekit.compress(model, X_test, step=step)
            points.append({"codec": f"aekit (one stream, step {step})", "quality": lmbda,
                           "bytes_per_image": len(data) / n,
                           "psnr": psnr(images, to_uint8(aekit.decompress(data, model))
                                        .reshape(images.shape))})
        if per_image:
            start = time.perf_counter()
            files = [aekit.compress(model, X_test[i:i + 1]) for i in range(per_image)]
            encode_s = time.perf_counter() - start
            start = time.perf_counter()
            back = np.stack([to_uint8(aekit.decompress(f, model))[0] for f in files])
            back = back.reshape(per_image, h, w)
            decode_s = time.perf_counter() - start
            points.append({"codec": "aekit per image", "quality": lmbda,
                           "bytes_per_image": sum(map(len, files)) / per_image,
                           "psnr": psnr(images[:per_image], back),
                           "encode_per_s": per_image / encode_s,
                           "decode_per_s": per_image / decode_s})
        print(f"  lmbda {lmbda}: {point['bytes_per_image']:.2f} B/image, {point['psnr']:.2f} dB "
              f"(fit {fit_s:.0f} s)", flush=True)
    return points


def at_psnr(points: list[dict], target: float) -> tuple[float, str]:
    """Bytes per image at ``target`` dB, interpolated in log-bytes between the two nearest
    points; below a codec's lowest PSNR, its smallest output (marked ">=": it gives more)."""
    curve = sorted((p["psnr"], p["bytes_per_image"]) for p in points if math.isfinite(p["psnr"]))
    # keep the lower envelope: the fewest bytes that reach each PSNR
    best: list[tuple[float, float]] = []
    for q, b in sorted(curve, key=lambda pb: pb[1]):
        if not best or q > best[-1][0]:
            best.append((q, b))
    if not best or target > best[-1][0]:
        return math.nan, "n/a"
    if target <= best[0][0]:
        return best[0][1], f"{best[0][1]:.1f} (at {best[0][0]:.1f} dB)"
    for (q0, b0), (q1, b1) in zip(best, best[1:]):
        if q0 <= target <= q1:
            t = (target - q0) / (q1 - q0)
            value = math.exp(math.log(b0) + t * (math.log(b1) - math.log(b0)))
            return value, f"{value:.1f}"
    return math.nan, "n/a"


def matched_table(points: list[dict], title: str) -> list[dict]:
    codecs = list(dict.fromkeys(p["codec"] for p in points if math.isfinite(p["psnr"])))
    print(f"\n### {title}: bytes per image at matched PSNR\n")
    print("| codec | " + " | ".join(f"{t:.0f} dB" for t in TARGETS) + " |")
    print("|---|" + "---|" * len(TARGETS))
    values = {}
    groups = {c: [p for p in points if p["codec"] == c] for c in codecs}
    # the envelope of every single-stream aekit point (each lmbda, each step)
    groups[ENVELOPE] = [p for p in points if p["codec"].startswith("aekit (one stream")]
    for codec, members in groups.items():
        cells = [at_psnr(members, t) for t in TARGETS]
        values[codec] = [c[0] for c in cells]
        print(f"| {codec} | " + " | ".join(c[1] for c in cells) + " |")
    rows = []
    for i, target in enumerate(TARGETS):
        standard = [(values[c][i], c) for c in codecs if c.split()[0] in PILLOW
                    and math.isfinite(values[c][i])]
        mine = values[ENVELOPE][i]
        if standard:
            best, name = min(standard)
            rows.append({"target_db": target, "best_standard": name, "best_bytes": best,
                         "aekit_bytes": mine,
                         "ratio": best / mine if mine and math.isfinite(mine) else math.nan})
    print("\n| PSNR | best of JPEG/WebP/AVIF | its bytes/image | aekit bytes/image | ratio |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['target_db']:.0f} dB | {r['best_standard']} | {r['best_bytes']:.1f} | "
              f"{r['aekit_bytes']:.2f} | " + (f"{r['ratio']:.2f}x |" if math.isfinite(
                  r["ratio"]) else "n/a (aekit does not reach it) |"))
    return rows


def curve_table(points: list[dict], title: str) -> None:
    print(f"\n### {title}: every point (bytes per image, PSNR in dB)\n")
    print("| codec | quality / lmbda | bytes/image | PSNR |")
    print("|---|---|---|---|")
    for p in points:
        print(f"| {p['codec']} | {p['quality']} | {p['bytes_per_image']:.2f} | {p['psnr']:.2f} |")


def throughput(images: np.ndarray, mine: list[dict], n: int) -> None:
    """Images per second, one file per image, against Pillow at a middle quality."""
    print("\n### Throughput (images/s, one file per image, or one stream where named; "
          "this machine)\n")
    print("| codec | encode | decode |")
    print("|---|---|---|")
    for fmt, quality in (("JPEG", 50), ("WEBP", 50), ("AVIF", 50)):
        start = time.perf_counter()
        files = [pillow_encode(img, fmt, quality) for img in images[:n]]
        encode = n / (time.perf_counter() - start)
        start = time.perf_counter()
        for f in files:
            pillow_decode(f)
        decode = n / (time.perf_counter() - start)
        print(f"| {fmt} q{quality} per image | {encode:.0f} | {decode:.0f} |")
    for p in mine:
        if "encode_per_s" in p:
            print(f"| {p['codec']} lmbda {p['quality']} | {p['encode_per_s']:.0f} | "
                  f"{p['decode_per_s']:.0f} |")


def plot(points: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5))
    for codec in dict.fromkeys(p["codec"] for p in points):
        pts = sorted((p["bytes_per_image"], p["psnr"]) for p in points if p["codec"] == codec)
        if math.isfinite(pts[0][1]):
            style = "o-" if codec.startswith("aekit") else ".-"
            ax.plot(*zip(*pts), style, label=codec, markersize=4, linewidth=1)
        else:
            ax.axvline(pts[0][0], linestyle=":", color="gray")
            ax.text(pts[0][0], 0.02, f" {codec} (lossless)", rotation=90, fontsize=7,
                    transform=ax.get_xaxis_transform())
    for t in TARGETS:
        ax.axhline(t, color="lightgray", linewidth=0.5)
    ax.set_xscale("log")
    ax.set_xlabel("bytes per image")
    ax.set_ylabel("PSNR (dB, 8-bit)")
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run_set(name, X_train, images, lmbdas, params, qualities, per_image, out: Path,
            refine: int = 0) -> dict:
    print(f"\n## {name}: {len(X_train)} training images, {len(images)} test images "
          f"{images.shape[1]}x{images.shape[2]}", flush=True)
    mine = ours(X_train, images, lmbdas, params, per_image, refine)
    points = lossless(images) + pillow_curves(images, qualities, per_image) + mine
    curve_table(points, name)
    rows = matched_table(points, name)
    throughput(images, mine, per_image or 200)
    plot(points, out / f"{name.split()[0].lower()}_rate_distortion.png", name)
    return {"points": points, "matched": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-size", type=int, default=60000)
    parser.add_argument("--lmbdas", default="0.03,0.005,0.001")
    parser.add_argument("--latent-dim", type=int, default=32)
    parser.add_argument("--architecture", choices=("conv", "dense"), default="dense",
                        help="dense (default: cheaper per image on a CPU) or conv")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--per-image", type=int, default=1000,
                        help="images encoded one file each (0: skip)")
    parser.add_argument("--quality-step", type=int, default=1,
                        help="every Nth Pillow quality (1: all)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 5000 training images, 1 epoch, 1000 test images, "
                        "every 10th quality, 100 images one file each (unless given)")
    parser.add_argument("--max-quality", type=int, default=100,
                        help="sweep Pillow's qualities up to this one")
    parser.add_argument("--avif-step", type=int, default=5,
                        help="every Nth AVIF quality (its mosaic encodes take seconds each)")
    parser.add_argument("--sets", default="mnist,faces",
                        help="which sets: mnist, faces (lfw_subset) or both")
    parser.add_argument("--out", default="benchmarks/results", help="folder for PNG and JSON")
    parser.add_argument("--load", default="",
                        help="comma-separated models saved by compression_train.py, compared "
                        "instead of training at --lmbdas (MNIST)")
    parser.add_argument("--refine", type=int, default=0,
                        help="also compress with each row's code refined by this many steps")
    given = {a.split("=")[0] for a in sys.argv[1:] if a.startswith("--")}
    args = parser.parse_args()
    if args.quick:  # its sizes, except those given on the command line
        smoke = {"train_size": 5000, "epochs": 1, "quality_step": 10, "per_image": 100}
        for name, value in smoke.items():
            if f"--{name.replace('_', '-')}" not in given:
                setattr(args, name, value)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lmbdas = [float(v) for v in args.lmbdas.split(",") if v]  # none: the codecs alone
    if args.load:
        lmbdas = args.load.split(",")
    qualities = {fmt: [q for q in grid if q <= args.max_quality][::args.quality_step]
                 for fmt, grid in PILLOW.items()}
    qualities["AVIF"] = qualities["AVIF"][::max(1, args.avif_step // args.quality_step)]
    hidden = (16, 32) if args.architecture == "conv" else (256,)
    params = {"architecture": args.architecture, "hidden_dims": hidden,
              "latent_dim": args.latent_dim, "output_activation": "sigmoid",
              "learning_rate": 3e-3, "epochs": args.epochs, "batch_size": args.batch_size,
              "random_state": 0, "device": "cpu"}
    print(f"# aekit compression benchmark ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{platform.processor() or platform.machine()}); params {params}")
    sets = args.sets.split(",")
    if "mnist" in sets:
        X_train, _, X_test, _ = load_mnist()
        n_test = 1000 if args.quick else len(X_test)
        result = run_set("MNIST", X_train[:args.train_size].reshape(-1, 28, 28),
                         to_uint8(X_test[:n_test]).reshape(-1, 28, 28), lmbdas, params,
                         qualities, args.per_image, out, args.refine)
        (out / "compression_mnist.json").write_text(json.dumps(result, indent=1, default=str))
    if "faces" in sets:
        from skimage.data import lfw_subset

        faces = lfw_subset().astype(np.float32)
        result = run_set("Faces (lfw_subset)", faces[:150], to_uint8(faces[150:]), lmbdas,
                         {**params, "epochs": max(args.epochs, 1) * 30, "batch_size": 16},
                         qualities, 0, out, args.refine)
        (out / "compression_faces.json").write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()

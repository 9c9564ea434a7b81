#!/usr/bin/env python3
"""Train a torchvision ResNet-18 on Fashion-MNIST for a short, seeded run and export a bundle.

    python3 tools/example_resnet18_fashion.py --out resnet18-fmnist/
    npx hidden-atlas info resnet18-fmnist/

The model is ``torchvision.models.resnet18(num_classes=10)`` with its stem convolution given one
input channel (7 x 7, stride 2, as torchvision's, but over the grey image instead of three copies
of it); everything after the stem is torchvision's network unchanged. Images stay 28 x 28: a CPU
build of PyTorch trains this network at tens of images per second on two cores, and 64 x 64
inputs would cost about four times as much per image for a run meant to take minutes. At 28 x 28
the stem and max-pool give 64 x 7 x 7 maps to layer1 and layer4 ends at 512 x 1 x 1.

Training: Adam (learning rate 1e-3, linear warm-up over the first ``WARMUP_STEPS`` steps, then
cosine decay to zero), batch 128, ``--steps`` steps over a seeded shuffle of the 60,000 training
images (240 steps are 30,720 images, about half an epoch), inputs scaled by the training set's
mean and standard deviation. Weights, shuffle and trace are seeded (``--seed``) and the number of
threads is fixed (``--threads``, default 2), so that the float sums run in the same order.

The bundle (``tools/export_bundle.py``) holds the 10,000 test images: conv1 (64 x 14 x 14),
layer1 (64 x 7 x 7), layer2 (128 x 4 x 4), layer3 (256 x 2 x 2), layer4 (512 x 1 x 1), avgpool
(512 x 1 x 1) and fc (10), as float16 and unreduced (the analyses choose the reduction), with the
images, labels, softmax predictions and class names. It also records ``--checkpoints`` + 1
snapshots of the weights taken during training (the first before any step) on a trace of
``--trace-per-class`` test images per class, chosen with the seed among the first
``TRACE_POOL`` test images, so the M-PHATE notebook can follow the units over training. A
checkpoint's ``epoch`` is the fraction of the training set seen when it was taken (the run is
shorter than one epoch). The test accuracy and the run's settings are written to the manifest's
``meta`` and printed as one JSON line on stdout.

The dataset folder holds the four files of the original distribution
(``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
``t10k-labels-idx1-ubyte.gz``, gzipped or not). ``--data`` defaults to
``/usr/share/datasets/fashion-mnist`` (where a Debian package puts them) when that folder exists.
"""
import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_bundle import export_bundle  # noqa: E402

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
LAYERS = ["conv1", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]
# IDX magic numbers: 0x0803 (unsigned bytes, three dimensions) and 0x0801 (one dimension).
IDX_IMAGES, IDX_LABELS = 2051, 2049
BATCH = 128
LEARNING_RATE = 1e-3
WARMUP_STEPS = 20
EVAL_BATCH = 500
# The trace is drawn from the first TRACE_POOL test images, so each checkpoint's export reads only
# those images rather than all 10,000.
TRACE_POOL = 1000


def read_idx(folder, stem, magic):
    """An IDX file of the original distribution as a uint8 array (``stem`` with or without .gz)."""
    for name in (stem + ".gz", stem):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            with (gzip.open if name.endswith(".gz") else open)(path, "rb") as f:
                data = f.read()
            break
    else:
        raise SystemExit(f"{stem}(.gz) is not in {folder}: expected the four Fashion-MNIST IDX files there")
    found, = np.frombuffer(data[:4], ">u4")
    if found != magic:
        raise SystemExit(f"{stem}: magic number {found}, expected {magic} (an IDX file of Fashion-MNIST)")
    dims = np.frombuffer(data, ">u4", count=magic - 2048, offset=4).astype(int)
    body = np.frombuffer(data, np.uint8, offset=4 + 4 * len(dims))
    if body.size != math.prod(dims):
        raise SystemExit(f"{stem}: {body.size} bytes of data for a header of shape {list(dims)}")
    return body.reshape(dims)


def load(folder):
    """(train images, train labels, test images, test labels); images N x 1 x 28 x 28 in [0, 1]."""
    def images(stem):
        return torch.from_numpy(read_idx(folder, stem, IDX_IMAGES).astype(np.float32) / 255).unsqueeze(1)

    def labels(stem):
        return torch.from_numpy(read_idx(folder, stem, IDX_LABELS).astype(np.int64))

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))


def resnet18_grey():
    """torchvision's ResNet-18 for 10 classes with a one-channel stem."""
    model = torchvision.models.resnet18(num_classes=10)
    model.conv1 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model


def learning_rate(step, steps):
    if step < WARMUP_STEPS:
        return LEARNING_RATE * (step + 1) / WARMUP_STEPS
    return LEARNING_RATE * 0.5 * (1 + math.cos(math.pi * (step - WARMUP_STEPS) / max(1, steps - WARMUP_STEPS)))


def snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def train(model, x, y, steps, checkpoints, generator):
    """Adam over a seeded shuffle; returns [(epoch, state_dict)] at ``checkpoints`` + 1 even steps."""
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    at = {round(i * steps / checkpoints) for i in range(checkpoints + 1)}
    order = torch.randperm(len(x), generator=generator)
    saved, running, start, first = [], None, time.monotonic(), 0
    model.train()
    for step in range(steps + 1):
        if step in at:
            saved.append((round(step * BATCH / len(x), 4), snapshot(model)))
        if step == steps:
            break
        if first + BATCH > len(x):  # a new epoch: a new shuffle
            order = torch.randperm(len(x), generator=generator)
            first = 0
        batch = order[first:first + BATCH]
        first += BATCH
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, steps)
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x[batch]), y[batch])
        loss.backward()
        optimizer.step()
        running = loss.item() if running is None else 0.95 * running + 0.05 * loss.item()
        if (step + 1) % 20 == 0 or step + 1 == steps:
            print(f"step {step + 1}/{steps}: loss {running:.3f} ({time.monotonic() - start:.0f} s)", file=sys.stderr)
    model.eval()
    return saved


def accuracy(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), EVAL_BATCH):
            correct += int((model(x[i:i + EVAL_BATCH]).argmax(1) == y[i:i + EVAL_BATCH]).sum())
    return correct / len(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=DEFAULT_DATA if os.path.isdir(DEFAULT_DATA) else None,
                        help="folder with the Fashion-MNIST IDX files (default: %(default)s)")
    parser.add_argument("--out", required=True, help="bundle folder to write")
    parser.add_argument("--steps", type=int, default=240, help="training steps of batch 128 (default: %(default)s)")
    parser.add_argument("--checkpoints", type=int, default=8,
                        help="checkpoints after the initial one, evenly spaced (default: %(default)s)")
    parser.add_argument("--trace-per-class", type=int, default=20,
                        help="test images per class the checkpoints hold (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights, shuffle and trace (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default: %(default)s)")
    args = parser.parse_args()
    if not args.data:
        parser.error(f"--data: no dataset folder given and {DEFAULT_DATA} does not exist")
    if args.steps < 1 or args.checkpoints < 1 or args.trace_per_class < 1:
        parser.error("--steps, --checkpoints and --trace-per-class must be positive")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    train_x, train_y, test_x, test_y = load(args.data)
    mean, std = train_x.mean().item(), train_x.std().item()
    train_x, test_x = (train_x - mean) / std, (test_x - mean) / std

    model = resnet18_grey()
    started = time.process_time(), time.monotonic()
    saved = train(model, train_x, train_y, args.steps, args.checkpoints, generator)
    train_cpu, train_wall = time.process_time() - started[0], time.monotonic() - started[1]
    test_accuracy = accuracy(model, test_x, test_y)
    print(f"test accuracy {test_accuracy:.4f} after {args.steps} steps ({train_wall:.0f} s)", file=sys.stderr)

    pool = test_y[:TRACE_POOL].numpy()
    rng = np.random.default_rng(args.seed)
    trace = np.sort(np.concatenate([rng.choice(np.flatnonzero(pool == c), args.trace_per_class, replace=False)
                                    for c in range(len(CLASS_NAMES))]))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(test_x, test_y), batch_size=EVAL_BATCH,
                                         shuffle=False)
    meta = {
        "model": "torchvision resnet18(num_classes=10), one-channel stem",
        "data": "Fashion-MNIST test set, 28 x 28, standardised by the training set's mean and std",
        "inputMean": round(mean, 6), "inputStd": round(std, 6),
        "trainingSteps": args.steps, "batchSize": BATCH, "imagesSeen": args.steps * BATCH,
        "optimizer": f"Adam, lr {LEARNING_RATE}, {WARMUP_STEPS} warm-up steps, cosine decay",
        "seed": args.seed, "testAccuracy": round(test_accuracy, 4),
        "checkpointEpochs": "fraction of the 60,000 training images seen",
        "exporter": "tools/example_resnet18_fashion.py",
    }
    export_bundle(model, loader, LAYERS, args.out, "resnet18-fashion-mnist", class_names=CLASS_NAMES,
                  checkpoints=saved, trace=trace, dtype="float16", meta=meta)
    print(json.dumps({"out": args.out, "testAccuracy": test_accuracy, "steps": args.steps,
                      "trainCpuSeconds": round(train_cpu, 1), "trainWallSeconds": round(train_wall, 1),
                      "checkpoints": [epoch for epoch, _ in saved], "trace": len(trace)}))


if __name__ == "__main__":
    main()

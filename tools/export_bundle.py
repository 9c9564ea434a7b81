#!/usr/bin/env python3
"""Write a Hidden Atlas activation bundle from a PyTorch model (numpy + torch only).

    from export_bundle import export_bundle
    export_bundle(model, loader, ["fc1", "fc2"], "bundle/", name="my-mlp",
                  class_names=["cat", "dog"], checkpoints=[(0, state0), (5, state5)])

Forward hooks on the named submodules (names as in ``model.named_modules()``) record their
outputs while the loader is run once in eval mode under ``torch.no_grad()``. The loader must not
shuffle, so that rows line up; it yields ``(inputs, labels_or_targets)``. The bundle holds
``manifest.json`` and one ``.npy`` per array: layers (float32, or float16 with ``dtype``),
``inputs`` (optional), ``labels`` or ``targets``, ``predictions`` (softmax probabilities for
classification, raw outputs for regression), ``split`` (optional, 0 train / 1 test) and, for
each checkpoint ``(epoch, state_dict)``, the same layers recorded with those weights (over the
same loader, or over ``trace`` sample indices only). Check the result with
``npx hidden-atlas info bundle/``.

Run ``python3 tools/export_bundle.py --demo OUT`` to train a two-layer network for a few steps
on synthetic data and export it (the project's tests do this when torch is installed); it
prints a JSON line of reference values computed without hooks.
"""
import argparse
import json
import os

import numpy as np
import torch

FORMAT = "hidden-atlas/1"


def _record(model, loader, layers, device, limit_to=None):
    """Run the loader once; return ({layer: array}, outputs, inputs, ys)."""
    modules = dict(model.named_modules())
    missing = [name for name in layers if name not in modules]
    if missing:
        raise ValueError(f"no submodule named {missing} (have: {', '.join(n for n in modules if n)})")
    acts = {name: [] for name in layers}
    hooks = [modules[name].register_forward_hook(
        lambda _m, _i, output, name=name: acts[name].append(output.detach().float().cpu().numpy()))
        for name in layers]
    outputs, inputs, ys = [], [], []
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for x, y in loader:
                outputs.append(model(x.to(device)).detach().float().cpu().numpy())
                inputs.append(x.cpu().numpy())
                ys.append(y.cpu().numpy())
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    arrays = {name: np.concatenate(parts) for name, parts in acts.items()}
    if limit_to is not None:
        arrays = {name: a[limit_to] for name, a in arrays.items()}
    return arrays, np.concatenate(outputs), np.concatenate(inputs), np.concatenate(ys)


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def export_bundle(model, loader, layers, out_dir, name, task="classification", class_names=None,
                  inputs=True, split=None, checkpoints=None, trace=None, dtype="float32",
                  device="cpu", meta=None):
    """Write a bundle to ``out_dir``; returns the manifest (a dict). See the module docstring."""
    if task not in ("classification", "regression"):
        raise ValueError("task must be 'classification' or 'regression'")
    os.makedirs(out_dir, exist_ok=True)
    store = np.float16 if dtype == "float16" else np.float32

    def save(path, array):
        full = os.path.join(out_dir, path)
        os.makedirs(os.path.dirname(full) or out_dir, exist_ok=True)
        np.save(full, np.ascontiguousarray(array), allow_pickle=False)
        return path

    def layer_entries(arrays, folder):
        entries = []
        for layer_name, array in arrays.items():
            file = save(f"{folder}/{layer_name.replace('/', '_')}.npy", array.astype(store))
            entry = {"name": layer_name, "file": file, "shape": list(array.shape)}
            entry["kind"] = "conv" if array.ndim == 4 else "dense"
            if array.ndim not in (2, 4):
                del entry["kind"]  # let the reader infer it from the rank
            entries.append(entry)
        return entries

    acts, outputs, xs, ys = _record(model, loader, layers, device)
    n = len(ys)
    manifest = {"format": FORMAT, "name": name, "task": task, "samples": int(n)}
    if class_names is not None:
        manifest["classNames"] = [str(c) for c in class_names]
    manifest["layers"] = layer_entries(acts, "layers")
    if inputs:
        manifest["inputs"] = save("inputs.npy", xs.astype(np.float32))
    if task == "classification":
        manifest["labels"] = save("labels.npy", ys.astype(np.int64))
        manifest["predictions"] = save("predictions.npy", _softmax(outputs).astype(np.float32))
    else:
        manifest["targets"] = save("targets.npy", ys.reshape(n, -1).astype(np.float32))
        manifest["predictions"] = save("predictions.npy", outputs.reshape(n, -1).astype(np.float32))
    if split is not None:
        manifest["split"] = save("split.npy", np.asarray(split, dtype=np.uint8))
    if checkpoints:
        current = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if trace is not None:
            manifest["trace"] = save("trace.npy", np.asarray(trace, dtype=np.int64))
        manifest["checkpoints"] = []
        try:
            for epoch, state in checkpoints:
                model.load_state_dict(state)
                at, _, _, _ = _record(model, loader, layers, device, limit_to=trace)
                manifest["checkpoints"].append({"epoch": epoch, "layers": layer_entries(at, f"checkpoints/epoch-{epoch}")})
        finally:
            model.load_state_dict(current)
    if meta:
        manifest["meta"] = meta
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    return manifest


def _demo(out_dir):
    """Train a 2-layer network a few steps on synthetic data, export it with two checkpoints."""
    torch.manual_seed(0)
    n, d, classes = 120, 6, 3
    x = torch.randn(n, d)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    model = torch.nn.Sequential()
    model.add_module("fc1", torch.nn.Linear(d, 16))
    model.add_module("act", torch.nn.ReLU())
    model.add_module("fc2", torch.nn.Linear(16, classes))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=False)
    state0 = {k: v.clone() for k, v in model.state_dict().items()}
    for _ in range(5):
        for xb, yb in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(xb), yb).backward()
            optimizer.step()
    split = (np.arange(n) % 4 == 0).astype(np.uint8)
    manifest = export_bundle(model, loader, ["fc1", "act"], out_dir, "torch-demo", class_names=["a", "b", "c"],
                             split=split, checkpoints=[(0, state0), (5, model.state_dict())], trace=[3, 1, 4, 15],
                             meta={"exporter": "tools/export_bundle.py --demo"})
    with torch.no_grad():
        model.eval()
        fc1 = model.fc1(x)
        fc1_before = torch.nn.functional.linear(x, state0["fc1.weight"], state0["fc1.bias"])
        probs = torch.softmax(model(x), 1)
    print(json.dumps({
        "samples": n,
        "layers": [l["shape"] for l in manifest["layers"]],
        "fc1_row7": fc1[7].tolist(),
        "act_row7": torch.relu(fc1[7]).tolist(),
        "fc1_before_trace0": fc1_before[3].tolist(),
        "probs_row2": probs[2].tolist(),
        "labels_first5": y[:5].tolist(),
    }))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", metavar="OUT", help="train a small network on synthetic data and export it to OUT")
    args = parser.parse_args()
    if args.demo:
        _demo(args.demo)
    else:
        parser.print_help()

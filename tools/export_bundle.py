#!/usr/bin/env python3
"""Write a Hidden Atlas activation bundle from a PyTorch model (numpy + torch only).

    from export_bundle import export_bundle
    export_bundle(model, loader, ["layer1", "layer3.1.bn2:input", "avgpool", "fc"], "bundle/",
                  name="resnet18", class_names=classes, reduce={"layer1": "gap"})

The loader is run once in eval mode under ``torch.no_grad()``; it must not shuffle, so that
rows line up, and yields ``(inputs, labels_or_targets)``. ``inputs`` is a tensor (called as
``model(x)``), a tuple (``model(*x)``) or a dict (``model(**x)``, e.g. a tokenizer's output).

Layers are module paths as ``model.get_submodule`` reads them, integer indices included
(``layer3.1.conv2``, ``features.7``, ``encoder.layer.5.output``). ``PATH`` records the module's
output (a forward hook); ``PATH:input`` its first input (a forward pre-hook), e.g. the
convolution's output before batch norm when ``PATH`` is the BN. A module that returns a tuple is
recorded by its first element (Hugging Face layers return ``(hidden_states, ...)``). A module that
runs more than once per forward pass (a shared ReLU) is refused: its rows would not line up.

``reduce`` turns each sample's activation into a vector at export time, so a bundle of conv maps
need not hold every spatial position: ``"gap"`` (mean over all axes after the channels),
``"top-l2"`` (the channel vector at the spatial position of largest l2 norm, the first on ties),
``"flatten"``, ``"cls"`` (token 0 of an N x tokens x features output) or ``"token-mean"`` (mean
over tokens, counting only tokens whose ``attention_mask`` is 1 when the batch is a dict that
holds one). A string applies to every layer whose output has three or more axes; a dict
``{layer: reduction}`` names the reduction per layer. The bundle format has no field for how a
layer was recorded, so the bundle's layer name says it: ``PATH``, then ``:input`` for a
pre-activation, then ``:REDUCTION`` (``layer3.1.bn2:input``, ``layer1:gap``); a reduced layer has
kind ``"dense"``.

Nothing is held in memory beyond one batch: each file is created at its full size from the first
batch's shapes and ``len(loader.dataset)`` (or ``samples``, which also stops the export after
that many rows), then filled in place, batch by batch, with positioned writes (not a memory
map, whose written pages count toward the process's resident memory while it is open).

The bundle holds ``manifest.json`` and one ``.npy`` per array: layers (float32, or float16 with
``dtype``), ``inputs`` (optional), ``labels`` or ``targets``, ``predictions`` (softmax
probabilities for classification, raw outputs for regression), ``split`` (optional, 0 train /
1 test) and, for each checkpoint ``(epoch, state_dict or path of a saved state_dict)``, the same
layers recorded with those weights (over the same loader, or over the ``trace`` sample indices
only). Checkpoints are loaded one at a time. ``manifest.json`` is written last; on any error the
files written so far are removed and ``ExportError`` (a ``ValueError`` with a ``code`` such as
``E_PARAM``, ``E_SHAPE_MISMATCH`` or ``E_NON_FINITE``) names the layer, row or parameter. A
progress line (samples done / total, MB written) goes to stderr unless ``progress=False``.
Check the result with ``npx hidden-atlas info bundle/``.

Run ``python3 tools/export_bundle.py --demo OUT`` to train a two-layer network for a few steps
on synthetic data and export it (the project's tests do this when torch is installed); it
prints a JSON line of reference values computed without hooks.
"""
import argparse
import json
import math
import os
import sys
import time
from collections.abc import Mapping

import numpy as np
import torch

FORMAT = "hidden-atlas/1"
MANIFEST = "manifest.json"
POINTS = ("output", "input")
REDUCTIONS = ("gap", "top-l2", "flatten", "cls", "token-mean")
DTYPES = {"float32": np.float32, "float16": np.float16}
# Reductions over the axes after the first two (conv maps N x C x ...) and over tokens (N x T x F).
SPATIAL_REDUCTIONS = ("gap", "top-l2")
TOKEN_REDUCTIONS = ("cls", "token-mean")
# Largest finite float16; bigger activations overflow to infinity when stored as float16.
FLOAT16_MAX = 65504.0
# A progress line on a terminal is redrawn at most this often (seconds); elsewhere one line per
# tenth of the samples, so logs stay short.
PROGRESS_REDRAW_SECONDS = 0.2
PROGRESS_LOG_STEPS = 10
MEGABYTE = 1e6


class ExportError(ValueError):
    """Bad model, loader, parameter or activation; ``code`` is stable (``E_PARAM``, ...)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class _Layer:
    """One recorded layer: where its hook sits, how it is reduced, and the current batch's rows."""

    def __init__(self, index, spec, path, point, module, reduce, explicit):
        self.index, self.spec, self.path, self.point, self.module = index, spec, path, point, module
        self.reduce, self.explicit = reduce, explicit
        # Fixed by the first batch: the reduction a global `reduce` resolved to, the bundle name,
        # and the per-sample shape.
        self.applied = self.name = self.shape = None
        self.batch = self.raw = None
        self.calls = 0

    def label(self):
        return f"layer {self.name or self.spec!r}"


class _Rows:
    """A .npy file of known shape, created at full size and filled in place, rows at a time.

    Positioned writes rather than ``np.lib.format.open_memmap``: every page written through a
    shared mapping stays in the process's resident set until the mapping is closed, so a memory
    map would make a 10 GB export look (and, without memory pressure, be) 10 GB resident."""

    def __init__(self, path, dtype, shape):
        self.path, self.dtype, self.shape = path, np.dtype(dtype), tuple(int(d) for d in shape)
        self.row_bytes = self.dtype.itemsize * math.prod(self.shape[1:])
        header = {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False, "shape": self.shape}
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.handle = open(path, "w+b")
        np.lib.format.write_array_header_1_0(self.handle, header)
        self.offset = self.handle.tell()
        self.handle.truncate(self.offset + self.row_bytes * self.shape[0])

    def write(self, row, block):
        """Store ``block`` as rows ``row, row + 1, ...``; returns the bytes written."""
        block = np.ascontiguousarray(block, dtype=self.dtype)
        if block.shape[1:] != self.shape[1:] or row + len(block) > self.shape[0]:
            raise ExportError("E_SHAPE_MISMATCH", f"{os.path.basename(self.path)}: {len(block)} rows of shape "
                              f"{list(block.shape[1:])} at row {row} do not fit its shape {list(self.shape)}")
        self.handle.seek(self.offset + row * self.row_bytes)
        self.handle.write(memoryview(block).cast("B"))
        return block.nbytes

    def close(self):
        self.handle.close()


class _Files:
    """The files of one export: created under ``out_dir``, counted for the progress line, and
    removed again if the export fails."""

    def __init__(self, out_dir, meter):
        self.out_dir, self.meter, self.created, self.open = out_dir, meter, [], []

    def rows(self, file, dtype, shape):
        path = os.path.join(self.out_dir, *file.split("/"))
        self.created.append(path)
        rows = _Rows(path, dtype, shape)
        self.open.append(rows)
        return rows

    def write(self, rows, row, block):
        self.meter.bytes += rows.write(row, block)

    def close(self):
        for rows in self.open:
            rows.close()
        self.open = []

    def remove(self):
        self.close()
        for path in self.created:
            try:
                os.remove(path)
            except OSError:
                pass
        root = os.path.abspath(self.out_dir)
        for path in self.created:  # and the folders they leave empty, up to out_dir
            folder = os.path.dirname(os.path.abspath(path))
            while folder.startswith(root + os.sep):
                try:
                    os.rmdir(folder)
                except OSError:
                    break
                folder = os.path.dirname(folder)


class _Progress:
    """``samples done / total, MB written`` on stderr: redrawn in place on a terminal, otherwise
    one line per tenth of the samples."""

    def __init__(self, enabled, stream=None):
        self.enabled, self.stream = enabled, stream or sys.stderr
        self.tty = bool(enabled and getattr(self.stream, "isatty", lambda: False)())
        self.bytes = 0
        self.start("", 0)

    def start(self, title, total):
        self.title, self.total, self.step, self.drawn = title, total, -1, -math.inf

    def update(self, done, final=False):
        if not self.enabled:
            return
        line = f"{self.title}: {done}/{self.total} samples, {self.bytes / MEGABYTE:.2f} MB written"
        if self.tty:
            now = time.monotonic()
            if final or now - self.drawn >= PROGRESS_REDRAW_SECONDS:
                self.stream.write("\r" + line + ("\n" if final else ""))
                self.stream.flush()
                self.drawn = now
            return
        step = PROGRESS_LOG_STEPS * done // max(self.total, 1)
        if final or (step > self.step and step < PROGRESS_LOG_STEPS):
            self.stream.write(line + "\n")
            self.stream.flush()
            self.step = step


def _first_tensor(value, what):
    """The tensor a module or model produced: itself, or the first element of a tuple or list."""
    if isinstance(value, (tuple, list)) and value:
        value = value[0]
    if not isinstance(value, torch.Tensor):
        raise ExportError("E_PARAM", f"{what} is a {type(value).__name__}, expected a tensor "
                          "(or a tuple whose first element is one)")
    return value


def _reduce(t, how, mask, what):
    """One row per sample: ``t`` (n x ...) reduced by the named reduction; means in float64."""
    n = t.shape[0]
    if how == "flatten":
        return t.reshape(n, -1)
    if how in SPATIAL_REDUCTIONS:
        if t.ndim < 3:
            raise ExportError("E_PARAM", f"reduce {how!r} for {what} needs an output of shape N x C x ... "
                              f"(a conv map), got {list(t.shape)}")
        if how == "gap":
            return t.double().mean(dim=tuple(range(2, t.ndim)))
        flat = t.reshape(n, t.shape[1], -1)
        # torch.argmax returns the first maximal index: ties go to the first position in C order.
        position = flat.double().square().sum(dim=1).argmax(dim=1)
        return flat.gather(2, position.view(n, 1, 1).expand(n, flat.shape[1], 1)).squeeze(2)
    assert how in TOKEN_REDUCTIONS, how
    if t.ndim != 3:
        raise ExportError("E_PARAM", f"reduce {how!r} for {what} needs an output of shape N x tokens x features, "
                          f"got {list(t.shape)}")
    if how == "cls":
        return t[:, 0, :]
    if mask is None:
        return t.double().mean(dim=1)
    if tuple(mask.shape) != tuple(t.shape[:2]):
        raise ExportError("E_SHAPE_MISMATCH", f"reduce 'token-mean' for {what}: attention_mask has shape "
                          f"{list(mask.shape)}, expected {list(t.shape[:2])} (samples x tokens)")
    weights = mask.to(device=t.device, dtype=torch.float64)
    # A sample without an unmasked token has no mean: 0/0 is NaN and is refused as non-finite.
    return (t.double() * weights.unsqueeze(2)).sum(dim=1) / weights.sum(dim=1, keepdim=True)


def _check_finite(block, raw, what, row0):
    """E_NON_FINITE naming ``what`` and the first row (counted from ``row0``) holding NaN or ±inf."""
    bad = ~np.isfinite(block.reshape(len(block), -1)).all(axis=1)
    if not bad.any():
        return
    row = int(np.argmax(bad))
    message = f"{what} has a non-finite value in row {row0 + row}"
    if raw is not None and np.isfinite(raw[row]).all():
        message += (f" after conversion to float16 (its largest finite value is {FLOAT16_MAX:g}); "
                    "export with dtype='float32'")
    raise ExportError("E_NON_FINITE", message + " (bundle layers, targets and predictions must be finite)")


def _check_shape(layer, what, row):
    if list(layer.batch.shape[1:]) != layer.shape:
        raise ExportError("E_SHAPE_MISMATCH", f"{what}: the batch from sample {row} has rows of shape "
                          f"{list(layer.batch.shape[1:])}, the first batch {layer.shape}; inputs of different sizes "
                          "need a reduce (such as 'gap' or 'token-mean') or a fixed size")


def _to_device(x, device):
    if isinstance(x, torch.Tensor):
        return x.to(device)
    if isinstance(x, Mapping):
        return {k: _to_device(v, device) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(_to_device(v, device) for v in x)
    return x


class _Recorder:
    """Hooks on the layers' modules, eval mode and no_grad while open; ``run(x, rows)`` does one
    forward pass and leaves each layer's rows (reduced, converted, copied) in ``layer.batch``."""

    def __init__(self, model, layers, device, store):
        self.model, self.layers, self.device, self.store = model, layers, device, store
        self.mask, self.rows, self.hooks = None, 0, []

    def __enter__(self):
        for layer in self.layers:
            if layer.point == "input":
                hook = layer.module.register_forward_pre_hook(
                    lambda _module, args, layer=layer: self._capture(layer, args[0] if args else None))
            else:
                hook = layer.module.register_forward_hook(
                    lambda _module, _args, output, layer=layer: self._capture(layer, output))
            self.hooks.append(hook)
        self.was_training = self.model.training
        self.model.eval()
        self.no_grad = torch.no_grad()
        self.no_grad.__enter__()
        return self

    def __exit__(self, *exc):
        self.no_grad.__exit__(*exc)
        for hook in self.hooks:
            hook.remove()
        self.model.train(self.was_training)
        return False

    def _capture(self, layer, value):
        what = f"{layer.label()} (the {layer.point} of {type(layer.module).__name__})"
        layer.calls += 1
        if layer.calls > 1:
            raise ExportError("E_PARAM", f"{layer.label()}: the module ran more than once in one forward "
                              "pass (a shared module, like the ReLU a torchvision BasicBlock applies twice), so its "
                              "rows would not line up with the samples; record a module that runs once")
        t = _first_tensor(value, what).detach()
        if t.ndim == 0 or t.shape[0] != self.rows:
            raise ExportError("E_SHAPE_MISMATCH", f"{what} has shape {list(t.shape)}, expected the batch's "
                              f"{self.rows} samples first")
        if layer.name is None:
            # A reduction given for every layer leaves outputs with fewer than three axes alone.
            layer.applied = layer.reduce if layer.explicit or t.ndim >= 3 else None
            suffix = (":input" if layer.point == "input" else "") + (f":{layer.applied}" if layer.applied else "")
            layer.name = layer.path + suffix
        if layer.applied is not None:
            t = _reduce(t, layer.applied, self.mask, what)
        # A copy: later in-place operations (ReLU(inplace=True) after a BN) must not change it.
        raw = np.array(t.float().cpu().numpy(), dtype=np.float32, copy=True)
        with np.errstate(over="ignore"):  # float16 overflow is reported by row, with the layer's name
            layer.batch = raw.astype(self.store, copy=False)
        layer.raw = raw if layer.batch is not raw else None

    def run(self, x, rows):
        for layer in self.layers:
            layer.calls, layer.batch, layer.raw = 0, None, None
        self.rows = rows
        self.mask = x.get("attention_mask") if isinstance(x, Mapping) else None
        x = _to_device(x, self.device)
        if isinstance(x, Mapping):
            out = self.model(**x)
        elif isinstance(x, (tuple, list)):
            out = self.model(*x)
        else:
            out = self.model(x)
        for layer in self.layers:
            if layer.batch is None:
                raise ExportError("E_PARAM", f"{layer.label()}: the module did not run in the forward pass")
        return out


def _submodule(model, path, field):
    """``model.get_submodule(path)``, or E_PARAM naming the first missing step and its siblings."""
    try:
        return model.get_submodule(path)
    except AttributeError:
        pass
    parent, found = model, []
    for part in path.split("."):
        child = parent._modules.get(part)
        if child is None:
            break
        parent, found = child, found + [part]
    missing = path.split(".")[len(found)]
    where = repr(".".join(found)) if found else f"the {type(model).__name__}"
    children = ", ".join(name for name, _ in parent.named_children()) or "none"
    raise ExportError("E_PARAM", f"{field}: no submodule {path!r}: {where} has no child {missing!r} "
                      f"(its children: {children})")


def _parse_layers(model, layers, reduce):
    if isinstance(layers, str) or not layers:
        raise ExportError("E_PARAM", f"layers: expected a non-empty list of module paths, got {layers!r}")
    layers = list(layers)
    if not (reduce is None or isinstance(reduce, (str, Mapping))):
        raise ExportError("E_PARAM", f"reduce: expected None, one of {', '.join(REDUCTIONS)} or a dict "
                          f"{{layer: reduction}}, got {reduce!r}")

    def reduction(value, field):
        if value is not None and value not in REDUCTIONS:
            raise ExportError("E_PARAM", f"{field}: expected None or one of {', '.join(REDUCTIONS)}, got {value!r}")
        return value

    if isinstance(reduce, Mapping):
        unknown = [key for key in reduce if key not in layers]
        if unknown:
            raise ExportError("E_PARAM", f"reduce: {unknown[0]!r} is not one of the layers "
                              f"({', '.join(map(repr, layers))})")
    parsed = []
    for i, spec in enumerate(layers):
        field = f"layers[{i}]"
        if not isinstance(spec, str) or not spec:
            raise ExportError("E_PARAM", f"{field}: expected a module path such as 'layer3.1.conv2', got {spec!r}")
        if spec in layers[:i]:
            raise ExportError("E_PARAM", f"{field}: {spec!r} is listed twice")
        path, point = spec, "output"
        head, colon, tail = spec.rpartition(":")
        if colon:
            if not head or tail not in POINTS:
                raise ExportError("E_PARAM", f"{field}: {spec!r}: expected PATH, PATH:input or PATH:output")
            path, point = head, tail
        if isinstance(reduce, Mapping):
            how, explicit = reduction(reduce.get(spec), f"reduce[{spec!r}]"), True
        else:
            how, explicit = reduction(reduce, "reduce"), False
        parsed.append(_Layer(i, spec, path, point, _submodule(model, path, field), how, explicit))
    return parsed


def _layer_files(layers, folder):
    """A file per layer, named after it (":" is not allowed in bundle paths), never twice the same."""
    files = {}
    for layer in layers:
        stem = layer.name.replace(":", "-").replace("/", "_").replace("\\", "_")
        file, k = f"{folder}/{stem}.npy", 2
        while file in files.values():
            file, k = f"{folder}/{stem}-{k}.npy", k + 1
        files[layer.index] = file
    return files


def _layer_entries(layers, files, rows):
    entries = []
    for layer in layers:
        shape = [int(rows), *map(int, layer.shape)]
        entry = {"name": layer.name, "file": files[layer.index], "shape": shape}
        if layer.applied is not None or len(shape) == 2:
            entry["kind"] = "dense"
        elif len(shape) == 4:
            entry["kind"] = "conv"
        entries.append(entry)  # another rank: the reader infers the kind
    return entries


def _predictions(out, task, rows):
    """Softmax probabilities (classification) or outputs (regression), one row per sample."""
    if not isinstance(out, torch.Tensor) and hasattr(out, "logits"):
        out = out.logits  # a Hugging Face ModelOutput of a model with a head
    if isinstance(out, (tuple, list)) and out:
        out = out[0]
    if not isinstance(out, torch.Tensor):
        raise ExportError("E_PARAM", f"the model's output is a {type(out).__name__}, neither a tensor nor an "
                          "object with logits; pass predictions=False")
    out = out.detach()
    if out.ndim == 0 or out.shape[0] != rows:
        raise ExportError("E_SHAPE_MISMATCH", f"the model's output has shape {list(out.shape)}, expected the "
                          f"batch's {rows} samples first (or pass predictions=False)")
    if task == "regression":
        return out.reshape(rows, -1).float().cpu().numpy()
    if out.ndim != 2:
        raise ExportError("E_SHAPE_MISMATCH", f"the model's output has shape {list(out.shape)}, expected samples x "
                          "classes logits for task 'classification' (or pass predictions=False)")
    return torch.softmax(out.double(), dim=1).float().cpu().numpy()


def _unpack(batch, index):
    if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
        raise ExportError("E_PARAM", f"loader batch {index}: expected a pair (inputs, labels_or_targets), "
                          f"got a {type(batch).__name__}")
    x, y = batch
    y = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    if y.ndim == 0:
        raise ExportError("E_PARAM", f"loader batch {index}: labels_or_targets is a scalar, expected one per sample")
    return x, y


def _run(recorder, loader, n, truncate, sink, meter):
    """Feed the loader's first ``n`` samples through the model, ``sink(row, take, x, y, out)`` per
    batch. Without ``truncate`` the loader must yield exactly ``n`` samples."""
    done = 0
    for index, batch in enumerate(loader):
        if done == n and truncate:
            break
        x, y = _unpack(batch, index)
        rows = len(y)
        if done + rows > n and not truncate:
            raise ExportError("E_SHAPE_MISMATCH", f"loader: batch {index} ends at sample {done + rows}, but "
                              f"len(loader.dataset) is {n}; pass samples=N for a loader that yields more")
        if rows == 0:
            continue
        take = min(rows, n - done)
        out = recorder.run(x, rows)
        sink(done, take, x, y, out)
        done += take
        meter.update(done)
    if done < n:
        raise ExportError("E_SHAPE_MISMATCH", f"loader: yielded {done} samples, expected {n} "
                          f"({'samples' if truncate else 'len(loader.dataset)'}; a DataLoader with drop_last=True "
                          "leaves out the last partial batch)")
    meter.update(done, final=True)


def _check_params(task, dtype, name, meta, class_names, loader):
    if task not in ("classification", "regression"):
        raise ExportError("E_PARAM", f"task: expected 'classification' or 'regression', got {task!r}")
    try:
        store = DTYPES[np.dtype(dtype).name]
    except (TypeError, KeyError):
        raise ExportError("E_PARAM", f"dtype: expected 'float32' or 'float16', got {dtype!r}") from None
    if not isinstance(name, str) or not name:
        raise ExportError("E_PARAM", f"name: expected a non-empty string, got {name!r}")
    if class_names is not None and task != "classification":
        raise ExportError("E_PARAM", "class_names: only a classification bundle has class names")
    if meta is not None:
        try:
            json.dumps(meta, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise ExportError("E_PARAM", f"meta: expected JSON-serialisable facts ({error})") from None
    if isinstance(getattr(loader, "sampler", None), torch.utils.data.RandomSampler):
        raise ExportError("E_PARAM", "loader: it shuffles (a RandomSampler), so the rows of layers, labels and "
                          "checkpoints would not be the same samples; use shuffle=False")
    return store


def _sample_count(loader, samples):
    """(rows to export, whether the loader may yield more)."""
    if samples is not None:
        if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
            raise ExportError("E_PARAM", f"samples: expected a positive integer, got {samples!r}")
    try:
        available = len(loader.dataset)
    except (AttributeError, TypeError):
        available = None
    if samples is not None:
        if available is not None and samples > available:
            raise ExportError("E_PARAM", f"samples: {samples}, but the loader's dataset holds {available}")
        return int(samples), True
    if available is None:
        raise ExportError("E_PARAM", "samples: the loader has no dataset with a length, so the number of rows "
                          "is unknown before the export starts; pass samples=N")
    return available, False


def _check_split(split, n):
    split = np.asarray(split)
    if split.shape != (n,):
        raise ExportError("E_SHAPE_MISMATCH", f"split: has shape {list(split.shape)}, expected [{n}] (one entry per sample)")
    bad = np.flatnonzero((split != 0) & (split != 1))
    if len(bad):
        raise ExportError("E_PARAM", f"split[{bad[0]}]: expected 0 (train) or 1 (test), got {split[bad[0]]!r}")
    return split.astype(np.uint8)


def _check_trace(trace, n):
    trace = np.asarray(trace)
    if trace.ndim != 1 or len(trace) == 0 or not np.issubdtype(trace.dtype, np.integer):
        raise ExportError("E_PARAM", f"trace: expected a non-empty list of sample indices, got {trace.tolist()!r}")
    outside = np.flatnonzero((trace < 0) | (trace >= n))
    if len(outside):
        raise ExportError("E_PARAM", f"trace[{outside[0]}]: {trace[outside[0]]} is not a sample index "
                          f"(expected 0 <= index < {n})")
    return trace.astype(np.int64)


def _epoch(value, field, seen):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value < 0:
        raise ExportError("E_PARAM", f"{field}: expected a non-negative epoch number, got {value!r}")
    value = int(value) if isinstance(value, (int, np.integer)) else float(value)
    if value in seen:
        raise ExportError("E_PARAM", f"{field}: epoch {value} is already exported")
    return value


def export_bundle(model, loader, layers, out_dir, name, task="classification", class_names=None,
                  inputs=True, split=None, checkpoints=None, trace=None, dtype="float32",
                  device="cpu", meta=None, *, reduce=None, samples=None, predictions=True, progress=True):
    """Write a bundle to ``out_dir``; returns the manifest (a dict). See the module docstring.

    layers: module paths, each optionally ending in ``:input`` (pre-activation) or ``:output``.
    reduce: None (the default: layers stored as they are), one of ``REDUCTIONS`` for every layer
        with three or more axes, or a dict ``{layer: reduction or None}``.
    checkpoints: ``(epoch, state_dict or path of a torch.save'd state_dict)`` pairs, any iterable.
    trace: sample indices the checkpoint layers hold (default: every sample).
    dtype: "float32" (default) or "float16" for the layer files.
    samples: rows to export, the loader's first ``samples``; defaults to ``len(loader.dataset)``.
    predictions: False for a model whose output is not logits (e.g. ``AutoModel``); default True.
    progress: ``samples done / total, MB written`` on stderr; default True.
    """
    store = _check_params(task, dtype, name, meta, class_names, loader)
    specs = _parse_layers(model, layers, reduce)
    n, truncate = _sample_count(loader, samples)
    split = None if split is None else _check_split(split, n)
    trace = None if trace is None or not checkpoints else _check_trace(trace, n)
    os.makedirs(out_dir, exist_ok=True)
    manifest_path = os.path.join(out_dir, MANIFEST)
    if os.path.exists(manifest_path):
        os.remove(manifest_path)  # a manifest must never describe half-written files
    meter = _Progress(progress)
    files = _Files(out_dir, meter)
    try:
        manifest = {"format": FORMAT, "name": name, "task": task, "samples": n}
        if class_names is not None:
            manifest["classNames"] = [str(c) for c in class_names]
        with _Recorder(model, specs, device, store) as recorder:
            manifest.update(_export_samples(recorder, loader, specs, n, truncate, task, inputs, predictions,
                                            store, files, meter, name))
            if split is not None:
                files.write(files.rows("split.npy", np.uint8, [n]), 0, split)
                manifest["split"] = "split.npy"
            if checkpoints:
                manifest.update(_export_checkpoints(recorder, loader, specs, checkpoints, trace, n, truncate,
                                                    store, files, meter))
        files.close()
        if meta:
            manifest["meta"] = meta
        with open(manifest_path, "w") as f:
            json.dump(manifest, f, indent=2)
        return manifest
    except BaseException:
        files.remove()
        raise


def _export_samples(recorder, loader, specs, n, truncate, task, inputs, predictions, store, files, meter, name):
    """Layers, inputs, labels or targets and predictions, for every sample."""
    writers = {}

    def open_files(x, y, probabilities):
        for layer in specs:
            layer.shape = list(layer.batch.shape[1:])
            twin = next((other for other in specs[:layer.index] if other.name == layer.name), None)
            if twin is not None:
                raise ExportError("E_PARAM", f"layers[{layer.index}] {layer.spec!r} and layers[{twin.index}] "
                                  f"{twin.spec!r} would both be bundle layer {layer.name!r}; give one its own reduce")
        names = _layer_files(specs, "layers")
        for layer in specs:
            writers[layer.index] = files.rows(names[layer.index], store, [n, *layer.shape])
        if inputs:
            if not isinstance(x, torch.Tensor):
                raise ExportError("E_PARAM", f"inputs: the loader's inputs are a {type(x).__name__}, not a tensor "
                                  "of images for thumbnails; pass inputs=False")
            writers["inputs"] = files.rows("inputs.npy", np.float32, [n, *x.shape[1:]])
        if task == "classification":
            writers["labels"] = files.rows("labels.npy", np.int64, [n])
        else:
            writers["targets"] = files.rows("targets.npy", np.float32, [n, math.prod(y.shape[1:])])
        if predictions:
            writers["predictions"] = files.rows("predictions.npy", np.float32, [n, *probabilities.shape[1:]])
        return names

    names = {}

    def sink(row, take, x, y, out):
        probabilities = _predictions(out, task, len(y)) if predictions else None
        if not writers:
            names.update(open_files(x, y, probabilities))
        for layer in specs:
            _check_shape(layer, layer.label(), row)
            block = layer.batch[:take]
            _check_finite(block, None if layer.raw is None else layer.raw[:take], layer.label(), row)
            files.write(writers[layer.index], row, block)
        if inputs:
            files.write(writers["inputs"], row, x[:take].detach().float().cpu().numpy())
        if task == "classification":
            labels = y[:take]
            integral = np.issubdtype(labels.dtype, np.integer) or (
                np.issubdtype(labels.dtype, np.floating) and np.isfinite(labels).all() and (labels == np.round(labels)).all())
            if labels.ndim != 1 or not integral:
                raise ExportError("E_PARAM", f"labels: rows {row}..{row + take - 1} are not one integer class per "
                                  f"sample (shape {list(labels.shape)}, dtype {labels.dtype})")
            files.write(writers["labels"], row, labels.astype(np.int64))
        else:
            targets = y[:take].reshape(take, -1).astype(np.float32)
            _check_finite(targets, None, "targets", row)
            files.write(writers["targets"], row, targets)
        if predictions:
            _check_finite(probabilities[:take], None, "predictions", row)
            files.write(writers["predictions"], row, probabilities[:take])

    meter.start(f"export {name}", n)
    _run(recorder, loader, n, truncate, sink, meter)
    files.close()
    manifest = {"layers": _layer_entries(specs, names, n)}
    if inputs:
        manifest["inputs"] = "inputs.npy"
    if task == "classification":
        manifest["labels"] = "labels.npy"
    else:
        manifest["targets"] = "targets.npy"
    if predictions:
        manifest["predictions"] = "predictions.npy"
    return manifest


def _export_checkpoints(recorder, loader, specs, checkpoints, trace, n, truncate, store, files, meter):
    """The same layers recorded with each checkpoint's weights, one checkpoint in memory at a time."""
    model = recorder.model
    current = {k: v.detach().clone() for k, v in model.state_dict().items()}
    rows = n if trace is None else len(trace)
    # With a trace, the loader is read only up to the last traced sample.
    limit, limit_truncates = (n, truncate) if trace is None else (int(trace.max()) + 1, True)
    manifest = {}
    if trace is not None:
        files.write(files.rows("trace.npy", np.int64, [len(trace)]), 0, trace)
        manifest["trace"] = "trace.npy"
    entries, seen = [], set()
    try:
        for c, item in enumerate(checkpoints):
            field = f"checkpoints[{c}]"
            if not (isinstance(item, (tuple, list)) and len(item) == 2):
                raise ExportError("E_PARAM", f"{field}: expected a pair (epoch, state_dict or path)")
            epoch = _epoch(item[0], f"{field}[0]", seen)
            seen.add(epoch)
            state = item[1]
            if isinstance(state, (str, os.PathLike)):
                state = torch.load(state, map_location="cpu")
            model.load_state_dict(state)
            del state
            names = _layer_files(specs, f"checkpoints/epoch-{epoch}")
            writers = {layer.index: files.rows(names[layer.index], store, [rows, *layer.shape]) for layer in specs}

            def sink(row, take, _x, _y, _out, epoch=epoch, writers=writers):
                for layer in specs:
                    what = f"checkpoint epoch {epoch}, {layer.label()}"
                    _check_shape(layer, what, row)
                    raw = None if layer.raw is None else layer.raw[:take]
                    if trace is None:
                        _check_finite(layer.batch[:take], raw, what, row)
                        files.write(writers[layer.index], row, layer.batch[:take])
                        continue
                    for position in np.flatnonzero((trace >= row) & (trace < row + take)):
                        i = int(trace[position]) - row
                        _check_finite(layer.batch[i:i + 1], None if raw is None else raw[i:i + 1], what, row + i)
                        files.write(writers[layer.index], int(position), layer.batch[i:i + 1])

            meter.start(f"checkpoint epoch {epoch}", limit)
            _run(recorder, loader, limit, limit_truncates, sink, meter)
            files.close()
            entries.append({"epoch": epoch, "layers": _layer_entries(specs, names, rows)})
    finally:
        model.load_state_dict(current)
    manifest["checkpoints"] = entries
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
                             meta={"exporter": "tools/export_bundle.py --demo"}, progress=False)
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

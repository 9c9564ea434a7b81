# The sweep's reference reader: NumPy (np.load, allow_pickle=False) and Python's zipfile read
# each mutated file and say what a correct reader must make of it. One JSON request per line on
# stdin ({"kind": "npy" | "npz" | "bundle-zip", "path": ...}), one JSON answer per line on stdout.
import base64
import json
import sys
import zipfile

import numpy as np

try:  # NumPy 2.x keeps the header reader here; 1.x in numpy.lib.format
    from numpy.lib._format_impl import _read_array_header
except ImportError:
    from numpy.lib.format import _read_array_header


def matrix(arr):
    """The N x D float32 matrix the CLI makes of an array (1-D: N x 1), base64 little-endian."""
    if arr.ndim == 0:
        raise ValueError("0-d array")
    if arr.dtype.kind not in "fiub" or arr.dtype.itemsize > 8:
        raise ValueError(f"dtype {arr.dtype} is not numeric")
    rows = arr.shape[0]
    cols = int(np.prod(arr.shape[1:])) if arr.ndim > 1 else 1
    with np.errstate(over="ignore", invalid="ignore"):
        x = np.ascontiguousarray(arr.reshape(rows, cols) if rows * cols else np.zeros((rows, cols)), dtype="<f4")
    return {"rows": rows, "cols": cols, "f32": base64.b64encode(x.tobytes()).decode()}


def npy(path):
    # Refuse a header announcing more bytes than the file holds before NumPy tries to allocate.
    import os

    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        shape, fortran, dtype = _read_array_header(f, version)
        needed = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if needed > os.path.getsize(path) - f.tell():
            raise ValueError(f"truncated: {needed} bytes announced")
    arr = np.load(path, allow_pickle=False)
    if not isinstance(arr, np.ndarray):
        raise ValueError("not an .npy array")
    return {"dtype": arr.dtype.str, "shape": list(arr.shape), **matrix(arr)}


def npz(path):
    with zipfile.ZipFile(path) as z:
        bad = z.testzip()
        if bad is not None:
            raise ValueError(f"CRC error in {bad}")
        names = z.namelist()
        if len(set(names)) != len(names):
            raise ValueError("duplicate entries")
    arrays = {}
    with np.load(path, allow_pickle=False) as f:
        for key in f.files:
            value = f[key]
            # NumPy hands back a member that is not an .npy array (a folder entry, macOS
            # metadata, a text file) as its raw bytes: not an array, so not a layer.
            if isinstance(value, np.ndarray):
                arrays[key] = list(value.shape)
    return {"arrays": arrays}


def bundle_zip(path):
    with zipfile.ZipFile(path) as z:
        bad = z.testzip()
        if bad is not None:
            raise ValueError(f"CRC error in {bad}")
        names = z.namelist()
        if len(set(names)) != len(names):
            raise ValueError("duplicate entries")
        roots = {n.split("/")[0] for n in names if "/" in n}
        prefix = ""
        if "manifest.json" not in names and len(roots) == 1:
            prefix = roots.pop() + "/"
        manifest = json.loads(z.read(prefix + "manifest.json"))
        shapes = {}
        for layer in manifest["layers"]:
            import io

            arr = np.load(io.BytesIO(z.read(prefix + layer["file"])), allow_pickle=False)
            shapes[layer["name"]] = list(arr.shape)
            if list(arr.shape) != list(layer["shape"]):
                raise ValueError(f"layer {layer['name']} has shape {arr.shape}, manifest says {layer['shape']}")
            if arr.dtype.kind == "f" and not np.isfinite(arr).all():
                raise ValueError(f"layer {layer['name']} is not finite")
        for role in ("labels", "inputs", "targets", "predictions", "split"):
            if role in manifest:
                import io

                arr = np.load(io.BytesIO(z.read(prefix + manifest[role])), allow_pickle=False)
                if arr.shape[0] != manifest["samples"]:
                    raise ValueError(f"{role} has {arr.shape[0]} rows")
    return {"name": manifest["name"], "samples": manifest["samples"], "layers": shapes}


KINDS = {"npy": npy, "npz": npz, "bundle-zip": bundle_zip}

for line in sys.stdin:
    request = json.loads(line)
    try:
        answer = {"ok": True, **KINDS[request["kind"]](request["path"])}
    except Exception as error:  # every refusal is an answer
        answer = {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()

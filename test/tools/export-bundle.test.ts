/**
 * tools/export_bundle.py, run under Debian's Python when python3-torch (and, for the ResNet,
 * python3-torchvision) is installed (CI installs both). Each test runs a short Python script that
 * exports a bundle and prints reference values computed by calling the modules directly, without
 * hooks; the bundle is then read with the project's own reader and vectorizer.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { layerMatrix } from "../../src/algo/vectorize.ts";
import type { Bundle, Layer } from "../../src/io/bundle.ts";
import { loadBundleFromPath } from "../../src/io/node.ts";

const PYTHON = "/usr/bin/python3";
const tools = fileURLToPath(new URL("../../tools/", import.meta.url));
const tool = join(tools, "export_bundle.py");
const scratch: string[] = [];

function hasPython(modules: string): boolean {
  return spawnSync(PYTHON, ["-c", `import ${modules}`], { stdio: "ignore" }).status === 0;
}
const hasTorch = hasPython("torch, numpy");
const hasTorchvision = hasTorch && hasPython("torchvision");

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "atlas-torch-"));
  scratch.push(dir);
  return dir;
}

/** Run a script as `python3 -c SCRIPT TOOLS_DIR OUT`; its last stdout line is JSON. */
function runPython(script: string, out: string): { result: any; stderr: string } {
  const run = spawnSync(PYTHON, ["-c", script, tools, out], {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: "1" },
    maxBuffer: 64 * 2 ** 20,
  });
  if (run.status !== 0) throw new Error(`python exited with ${run.status}: ${run.stderr}`);
  return { result: JSON.parse(run.stdout.trim().split("\n").pop()!), stderr: run.stderr };
}

const row = (data: Float32Array, i: number, width: number) =>
  Array.from(data.subarray(i * width, (i + 1) * width));
const rowSums = (data: Float32Array, width: number) =>
  Array.from({ length: data.length / width }, (_, i) =>
    row(data, i, width).reduce((s, v) => s + v, 0),
  );
const layer = (bundle: Bundle, name: string): Layer => {
  const found = bundle.layers.find((l) => l.name === name);
  if (!found) throw new Error(`no layer ${name} in ${bundle.layers.map((l) => l.name)}`);
  return found;
};

/** Every |actual − expected| ≤ abs + rel·|expected|. */
function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rel: number,
  abs = rel,
) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(
      worst,
      Math.abs(actual[i] - expected[i]) / (abs + rel * Math.abs(expected[i])),
    );
  }
  expect(worst).toBeLessThanOrEqual(1);
}

/** Files under `dir`, relative, sorted. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** Bytes of an .npy file after its header (version 1: 10 bytes + header length). */
function npyDataBytes(bytes: Uint8Array): number {
  return bytes.length - 10 - (bytes[8] | (bytes[9] << 8));
}

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/**
 * A random-init ResNet-18 on 40 images: bundles a and b (the same export twice, b without the
 * progress line) and c (float16, a global top-l2, checkpoints from a saved file and a dict on a
 * trace), and the reference values.
 */
const RESNET = String.raw`
import json, os, sys
import numpy as np, torch, torchvision
sys.path.insert(0, sys.argv[1])
from export_bundle import export_bundle
out = sys.argv[2]
torch.manual_seed(0)
model = torchvision.models.resnet18(weights=None, num_classes=10)
images = torch.rand(40, 3, 32, 32, generator=torch.Generator().manual_seed(1))
labels = torch.arange(40) % 10
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, labels), batch_size=16, shuffle=False)
classes = [f"class {k}" for k in range(10)]
layers = ["bn1", "layer1", "layer1:output", "layer2", "layer3.1.bn2:input", "avgpool", "fc"]
for folder, progress in (("a", True), ("b", False)):
    export_bundle(model, loader, layers, os.path.join(out, folder), "resnet18-random", class_names=classes,
                  reduce={"layer1": "gap"}, progress=progress)
# Checkpoints: the current weights (from a saved file) and fc's weights and bias doubled, on a trace.
torch.save(model.state_dict(), os.path.join(out, "state0.pt"))
doubled = {k: v * 2 if k.startswith("fc.") else v for k, v in model.state_dict().items()}
export_bundle(model, loader, ["layer2", "fc"], os.path.join(out, "c"), "resnet18-checkpoints",
              reduce="top-l2", dtype="float16", checkpoints=[(0, os.path.join(out, "state0.pt")), (3, doubled)],
              trace=[5, 0, 33], inputs=False, progress=False)
# The reference: the same batches through the modules one by one, without hooks.
ref = {k: [] for k in ["bn1", "layer1", "layer2", "layer3.1.bn2:input", "avgpool", "fc", "logits"]}
model.eval()
with torch.no_grad():
    for x, _ in loader:
        h = model.bn1(model.conv1(x))
        ref["bn1"].append(h.clone())  # the ReLU below works in place
        h = model.layer1(model.maxpool(model.relu(h)))
        ref["layer1"].append(h)
        h = model.layer2(h)
        ref["layer2"].append(h)
        h = model.layer3[0](h)
        block = model.layer3[1]
        ref["layer3.1.bn2:input"].append(block.conv2(block.relu(block.bn1(block.conv1(h)))))
        h = model.avgpool(model.layer4(block(h)))
        ref["avgpool"].append(h)
        ref["fc"].append(model.fc(torch.flatten(h, 1)))
        ref["logits"].append(model(x))
ref = {k: torch.cat(v).double() for k, v in ref.items()}
rows = [0, 17, 39]
def summary(t):
    flat = t.reshape(len(t), -1)
    return {"rows": {str(i): flat[i].tolist() for i in rows}, "rowSums": flat.sum(1).tolist()}
print(json.dumps({
    "layers": {k: summary(v) for k, v in ref.items() if k != "logits"},
    "layer1Gap": summary(ref["layer1"].mean((2, 3))),
    "probabilities": summary(torch.softmax(ref["logits"], 1)),
    "logitsEqualFc": bool(torch.equal(ref["logits"], ref["fc"])),
    "image17": images[17].reshape(-1)[:50].tolist(),
    "fcRestored": bool(torch.equal(model.fc.weight, torch.load(os.path.join(out, "state0.pt"))["fc.weight"])),
}))
`;

/** A Hugging Face–shaped encoder fed dicts with an attention mask: cls and token-mean, 10 of 12 samples. */
const TEXT = String.raw`
import json, os, sys
from types import SimpleNamespace
import numpy as np, torch
sys.path.insert(0, sys.argv[1])
from export_bundle import export_bundle
out = sys.argv[2]
torch.manual_seed(0)
WIDTH, VOCAB, TOKENS = 8, 50, 6

class Block(torch.nn.Module):
    """Shaped like a Hugging Face encoder layer: returns a tuple, has an output submodule."""
    def __init__(self):
        super().__init__()
        self.attention = torch.nn.MultiheadAttention(WIDTH, 2, batch_first=True)
        self.output = torch.nn.Linear(WIDTH, WIDTH)
    def forward(self, h, mask):
        a, _ = self.attention(h, h, h, key_padding_mask=mask == 0, need_weights=False)
        return (h + self.output(a),)

class TextModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embeddings = torch.nn.Embedding(VOCAB, WIDTH)
        self.encoder = torch.nn.Module()
        self.encoder.layer = torch.nn.ModuleList([Block(), Block()])
        self.classifier = torch.nn.Linear(WIDTH, 3)
    def forward(self, input_ids, attention_mask):
        h = self.embeddings(input_ids)
        for block in self.encoder.layer:
            h = block(h, attention_mask)[0]
        return SimpleNamespace(logits=self.classifier(h[:, 0]), last_hidden_state=h)

class Texts(torch.utils.data.Dataset):
    def __init__(self, n):
        g = torch.Generator().manual_seed(2)
        self.ids = torch.randint(1, VOCAB, (n, TOKENS), generator=g)
        lengths = torch.randint(2, TOKENS + 1, (n,), generator=g)
        self.mask = (torch.arange(TOKENS)[None, :] < lengths[:, None]).long()
        self.ids = self.ids * self.mask
    def __len__(self):
        return len(self.ids)
    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "attention_mask": self.mask[i]}, i % 3

model = TextModel()
data = Texts(12)
loader = torch.utils.data.DataLoader(data, batch_size=4, shuffle=False)
export_bundle(model, loader, ["encoder.layer.1", "encoder.layer.1.output"], out, "tiny-text", inputs=False,
              reduce={"encoder.layer.1": "token-mean", "encoder.layer.1.output": "cls"}, samples=10, progress=False)
model.eval()
with torch.no_grad():
    x = {"input_ids": data.ids[:10], "attention_mask": data.mask[:10]}
    h = model.embeddings(x["input_ids"])
    h = model.encoder.layer[0](h, x["attention_mask"])[0]
    block = model.encoder.layer[1]
    a, _ = block.attention(h, h, h, key_padding_mask=x["attention_mask"] == 0, need_weights=False)
    out_linear = block.output(a)
    h = h + out_linear
    w = x["attention_mask"].double()
    mean = (h.double() * w[:, :, None]).sum(1) / w.sum(1, keepdim=True)
    probs = torch.softmax(model.classifier(h[:, 0]).double(), 1)
print(json.dumps({"tokenMean": mean.tolist(), "cls": out_linear[:, 0].tolist(), "probabilities": probs.tolist(),
                  "lengths": x["attention_mask"].sum(1).tolist()}))
`;

/** Each refused export's [code, message], and the files left behind. */
const ERRORS = String.raw`
import json, os, sys
import numpy as np, torch, torchvision
sys.path.insert(0, sys.argv[1])
from export_bundle import ExportError, export_bundle
out = sys.argv[2]
torch.manual_seed(0)
TensorDataset, DataLoader = torch.utils.data.TensorDataset, torch.utils.data.DataLoader
resnet = torchvision.models.resnet18(weights=None, num_classes=10)
images = torch.rand(8, 3, 32, 32, generator=torch.Generator().manual_seed(1))
images_loader = DataLoader(TensorDataset(images, torch.arange(8) % 10), batch_size=4)
x = torch.randn(36, 4, generator=torch.Generator().manual_seed(3))
x[21, 0], x[30, 0] = float("inf"), float("inf")
y = torch.arange(36) % 2
mlp = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
loader = DataLoader(TensorDataset(x, y), batch_size=8)
big = torch.randn(36, 4, generator=torch.Generator().manual_seed(3))
big[13, 2] = 1e5
wide = torch.nn.Sequential(torch.nn.Identity(), torch.nn.Linear(4, 2))

class Sizes(torch.utils.data.Dataset):
    """Four 32 x 32 images, then four 40 x 40 ones."""
    def __len__(self):
        return 8
    def __getitem__(self, i):
        side = 32 if i < 4 else 40
        return torch.rand(3, side, side, generator=torch.Generator().manual_seed(i)), 0

cases = {
    "unknown module": lambda: export_bundle(resnet, images_loader, ["layer3.9.conv2"], out, "r"),
    "shared module": lambda: export_bundle(resnet, images_loader, ["layer1.0.relu"], out, "r"),
    "bad point": lambda: export_bundle(resnet, images_loader, ["fc:pre"], out, "r"),
    "gap on a vector": lambda: export_bundle(resnet, images_loader, ["fc"], out, "r", reduce={"fc": "gap"}),
    "unknown reduction": lambda: export_bundle(resnet, images_loader, ["layer1"], out, "r", reduce="median"),
    "reduce names no layer": lambda: export_bundle(resnet, images_loader, ["layer1"], out, "r", reduce={"layer2": "gap"}),
    "float64": lambda: export_bundle(resnet, images_loader, ["fc"], out, "r", dtype="float64"),
    "shuffling loader": lambda: export_bundle(mlp, DataLoader(TensorDataset(x, y), shuffle=True), ["0"], out, "m"),
    "unknown length": lambda: export_bundle(mlp, [(x[:8], y[:8])], ["0"], out, "m"),
    "samples beyond the dataset": lambda: export_bundle(mlp, loader, ["0"], out, "m", samples=50),
    "trace outside": lambda: export_bundle(mlp, loader, ["2"], out, "m", checkpoints=[(0, mlp.state_dict())], trace=[3, 36]),
    "non-finite": lambda: export_bundle(mlp, loader, ["1", "0"], out, "m", inputs=False, progress=False),
    "float16 overflow": lambda: export_bundle(wide, DataLoader(TensorDataset(big, y), batch_size=8), ["0"], out, "w",
                                              dtype="float16", progress=False),
    "varying sizes": lambda: export_bundle(resnet, DataLoader(Sizes(), batch_size=4), ["layer1"], out, "r",
                                           inputs=False, progress=False),
    "same bundle name": lambda: export_bundle(resnet, images_loader, ["layer1", "layer1:output"], out, "r", reduce="gap",
                                              progress=False),
    "logits expected": lambda: export_bundle(torch.nn.Sequential(torch.nn.Unflatten(1, (2, 2))), loader, ["0"], out, "u",
                                             progress=False),
}
# A stale manifest from an earlier export must not survive a failed one, and neither may the files.
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "manifest.json"), "w") as f:
    f.write("{}")
cases["drop_last"] = lambda: export_bundle(mlp, DataLoader(TensorDataset(x.nan_to_num(0), y), batch_size=8, drop_last=True),
                                           ["0"], out, "m", progress=False)
report = {}
for name, run in cases.items():
    try:
        run()
        report[name] = None
    except ExportError as error:
        report[name] = [error.code, str(error)]
report["left behind"] = sorted(os.path.join(root, f)[len(out) + 1:] for root, dirs, files in os.walk(out) for f in dirs + files)
print(json.dumps(report))
`;

/** Peak RSS before and after exporting a 1 MiB-per-sample conv layer for 128 images. */
const RSS = String.raw`
import json, os, resource, sys
import numpy as np, torch
sys.path.insert(0, sys.argv[1])
from export_bundle import export_bundle
out = sys.argv[2]
torch.manual_seed(0)
# One wide conv: 64 x 64 x 64 float32 = 1 MiB per sample, 128 MiB for the layer; batches of 4.
model = torch.nn.Sequential(torch.nn.Conv2d(3, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                            torch.nn.Flatten(), torch.nn.Linear(64, 10))
images = torch.rand(128, 3, 64, 64, generator=torch.Generator().manual_seed(1))
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, torch.arange(128) % 10), batch_size=4)
# A first export of 8 samples sets the baseline: one batch's working memory, torch's set-up.
export_bundle(model, loader, ["1"], out + "-first", "first", inputs=False, samples=8, progress=False)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
export_bundle(model, loader, ["1"], out, "wide", inputs=False, progress=False)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
stored = np.load(os.path.join(out, "layers", "1.npy"), mmap_mode="r")
with torch.no_grad():
    rows = [0, 77, 127]
    reference = model[1](model[0](images[rows])).numpy()
print(json.dumps({"peakBefore": before, "peakAfter": after, "layerBytes": stored.nbytes,
                  "fileBytes": os.path.getsize(os.path.join(out, "layers", "1.npy")),
                  "maxDifference": float(np.abs(stored[rows] - reference).max())}))
`;

describe("tools/export_bundle.py", () => {
  it.runIf(hasTorch)(
    "exports a PyTorch model's activations as a bundle that loads with the right shapes and values",
    async () => {
      const out = join(tempDir(), "bundle");
      const printed = spawnSync(PYTHON, [tool, "--demo", out], {
        encoding: "utf8",
        env: { ...process.env, OMP_NUM_THREADS: "1" },
      }).stdout;
      const reference = JSON.parse(printed.trim().split("\n").pop()!);
      const bundle = await loadBundleFromPath(out);
      expect(bundle.samples).toBe(120);
      expect(bundle.layers.map((l) => [l.name, l.shape])).toEqual([
        ["fc1", [120, 16]],
        ["act", [120, 16]],
      ]);
      expect(bundle.classNames).toEqual(["a", "b", "c"]);
      row(bundle.layers[0].data, 7, 16).forEach((v, j) =>
        expect(v).toBeCloseTo(reference.fc1_row7[j], 5),
      );
      row(bundle.layers[1].data, 7, 16).forEach((v, j) =>
        expect(v).toBeCloseTo(reference.act_row7[j], 5),
      );
      row(bundle.predictions!.data, 2, 3).forEach((v, j) =>
        expect(v).toBeCloseTo(reference.probs_row2[j], 5),
      );
      expect(Array.from(bundle.labels!.subarray(0, 5))).toEqual(reference.labels_first5);
      expect(Array.from(bundle.trace!)).toEqual([3, 1, 4, 15]);
      expect(bundle.checkpoints!.map((c) => c.epoch)).toEqual([0, 5]);
      // Checkpoint 0 holds the untrained weights' fc1 on the first trace sample (row 3).
      row(bundle.checkpoints![0].layers[0].data, 0, 16).forEach((v, j) =>
        expect(v).toBeCloseTo(reference.fc1_before_trace0[j], 5),
      );
      expect(bundle.split!.reduce((s, v) => s + v, 0)).toBe(30);
    },
    120_000,
  );

  it.runIf(hasTorchvision)(
    "export_bundle on a torchvision ResNet-18 records module paths, pre-activations and reductions equal to a direct forward pass",
    async () => {
      const dir = tempDir();
      const { result: ref, stderr } = runPython(RESNET, dir);
      const a = await loadBundleFromPath(join(dir, "a"));
      expect(a.samples).toBe(40);
      expect(a.manifest.layers.map((l) => [l.name, l.file, l.shape, l.kind])).toEqual([
        ["bn1", "layers/bn1.npy", [40, 64, 16, 16], "conv"],
        ["layer1:gap", "layers/layer1-gap.npy", [40, 64], "dense"],
        ["layer1", "layers/layer1.npy", [40, 64, 8, 8], "conv"],
        ["layer2", "layers/layer2.npy", [40, 128, 4, 4], "conv"],
        ["layer3.1.bn2:input", "layers/layer3.1.bn2-input.npy", [40, 256, 2, 2], "conv"],
        ["avgpool", "layers/avgpool.npy", [40, 512, 1, 1], "conv"],
        ["fc", "layers/fc.npy", [40, 10], "dense"],
      ]);
      expect(ref.logitsEqualFc).toBe(true);
      const expected: Record<string, { rows: Record<string, number[]>; rowSums: number[] }> = {
        bn1: ref.layers.bn1,
        "layer1:gap": ref.layer1Gap,
        layer1: ref.layers.layer1,
        layer2: ref.layers.layer2,
        "layer3.1.bn2:input": ref.layers["layer3.1.bn2:input"],
        avgpool: ref.layers.avgpool,
        fc: ref.layers.fc,
      };
      for (const [name, { rows, rowSums: sums }] of Object.entries(expected)) {
        const { data } = layer(a, name);
        const width = data.length / 40;
        for (const [i, values] of Object.entries(rows))
          expectClose(row(data, Number(i), width), values, 1e-5, 1e-6);
        expectClose(rowSums(data, width), sums, 1e-5, 1e-4 * Math.sqrt(width)); // every row in its place
      }
      // bn1's output is recorded before the ReLU that overwrites it in place.
      expect(layer(a, "bn1").data.reduce((m, v) => Math.min(m, v), 0)).toBeLessThan(-0.1);
      for (const [i, values] of Object.entries(
        ref.probabilities.rows as Record<string, number[]>,
      )) {
        expectClose(row(a.predictions!.data, Number(i), 10), values, 1e-6);
      }
      expect(Array.from(a.labels!)).toEqual(Array.from({ length: 40 }, (_, i) => i % 10));
      expect(a.classNames).toEqual(Array.from({ length: 10 }, (_, k) => `class ${k}`));
      expect(a.inputs!.shape).toEqual([40, 3, 32, 32]);
      expect(
        Array.from((a.inputs!.data as Float32Array).subarray(17 * 3072, 17 * 3072 + 50)),
      ).toEqual(ref.image17);
      // The export's gap equals the project's own vectorizer on the full map.
      expectClose(
        layer(a, "layer1:gap").data,
        (await layerMatrix(layer(a, "layer1"), { method: "gap" })).data,
        1e-6,
        1e-7,
      );

      // Same input, same output: a second export is byte-identical.
      const files = filesUnder(join(dir, "a"));
      expect(filesUnder(join(dir, "b"))).toEqual(files);
      for (const file of files)
        expect(
          readFileSync(join(dir, "b", file)).equals(readFileSync(join(dir, "a", file))),
          file,
        ).toBe(true);

      // The progress line: one per tenth of the samples (here one per batch of 16) when stderr is not
      // a terminal, ending with every byte of the bundle's arrays; the other exports are silent.
      const dataBytes = files
        .filter((f) => f.endsWith(".npy"))
        .reduce((s, f) => s + npyDataBytes(readFileSync(join(dir, "a", f))), 0);
      expect(stderr.trim().split("\n")).toEqual([
        expect.stringMatching(/^export resnet18-random: 16\/40 samples, \d+\.\d\d MB written$/),
        expect.stringMatching(/^export resnet18-random: 32\/40 samples, \d+\.\d\d MB written$/),
        `export resnet18-random: 40/40 samples, ${(dataBytes / 1e6).toFixed(2)} MB written`,
      ]);

      // A global reduce leaves fc alone; float16 files; checkpoints from a saved file and a dict.
      const c = await loadBundleFromPath(join(dir, "c"));
      expect(c.manifest.layers.map((l) => [l.name, l.shape, l.kind])).toEqual([
        ["layer2:top-l2", [40, 128], "dense"],
        ["fc", [40, 10], "dense"],
      ]);
      for (const l of c.manifest.layers)
        expect(
          readFileSync(join(dir, "c", l.file))
            .subarray(0, 128)
            .toString("latin1"),
        ).toContain("'descr': '<f2'");
      // top-l2 as the project's vectorizer computes it from the full map, within float16 rounding.
      const topL2 = await layerMatrix(layer(a, "layer2"), { method: "top-l2" });
      expectClose(layer(c, "layer2:top-l2").data, topL2.data, 2 ** -10, 1e-6);
      expectClose(layer(c, "fc").data, layer(a, "fc").data, 2 ** -10, 1e-6);
      expect(Array.from(c.trace!)).toEqual([5, 0, 33]);
      expect(c.checkpoints!.map((k) => [k.epoch, k.layers.map((l) => [l.name, l.shape])])).toEqual([
        [
          0,
          [
            ["layer2:top-l2", [3, 128]],
            ["fc", [3, 10]],
          ],
        ],
        [
          3,
          [
            ["layer2:top-l2", [3, 128]],
            ["fc", [3, 10]],
          ],
        ],
      ]);
      const [epoch0, epoch3] = c.checkpoints!;
      [5, 0, 33].forEach((sample, t) => {
        expect(row(epoch0.layers[0].data, t, 128)).toEqual(
          row(layer(c, "layer2:top-l2").data, sample, 128),
        );
        expect(row(epoch0.layers[1].data, t, 10)).toEqual(row(layer(c, "fc").data, sample, 10));
        // Epoch 3 doubles fc's weights and bias: fc doubles exactly, layer2 is unchanged.
        expect(row(epoch3.layers[0].data, t, 128)).toEqual(
          row(layer(c, "layer2:top-l2").data, sample, 128),
        );
        expect(row(epoch3.layers[1].data, t, 10)).toEqual(
          row(layer(c, "fc").data, sample, 10).map((v) => 2 * v),
        );
      });
      expect(ref.fcRestored).toBe(true);
    },
    180_000,
  );

  it.runIf(hasTorch)(
    "export_bundle on a dict-fed encoder takes the CLS token and the attention-masked token mean, and stops after `samples`",
    async () => {
      const out = join(tempDir(), "text");
      const { result: ref } = runPython(TEXT, out);
      const bundle = await loadBundleFromPath(out);
      expect(bundle.samples).toBe(10);
      expect(bundle.manifest.layers.map((l) => [l.name, l.shape, l.kind])).toEqual([
        ["encoder.layer.1:token-mean", [10, 8], "dense"],
        ["encoder.layer.1.output:cls", [10, 8], "dense"],
      ]);
      expect(bundle.inputs).toBeUndefined();
      // Padding matters: some samples are shorter than the 6 tokens.
      expect(Math.min(...ref.lengths)).toBeLessThan(6);
      expectClose(layer(bundle, "encoder.layer.1:token-mean").data, ref.tokenMean.flat(), 1e-5);
      expectClose(layer(bundle, "encoder.layer.1.output:cls").data, ref.cls.flat(), 1e-5);
      expectClose(bundle.predictions!.data, ref.probabilities.flat(), 1e-5);
      expect(Array.from(bundle.labels!)).toEqual(Array.from({ length: 10 }, (_, i) => i % 3));
    },
    120_000,
  );

  it.runIf(hasTorchvision)(
    "export_bundle refuses bad layers, parameters, loaders and activations with ExportError codes, leaving no files",
    () => {
      const out = join(tempDir(), "refused");
      const { result } = runPython(ERRORS, out);
      const expected: Record<string, [string, RegExp]> = {
        "unknown module": [
          "E_PARAM",
          /^layers\[0\]: no submodule 'layer3\.9\.conv2': 'layer3' has no child '9' \(its children: 0, 1\)$/,
        ],
        "shared module": [
          "E_PARAM",
          /^layer 'layer1\.0\.relu': the module ran more than once in one forward pass/,
        ],
        "bad point": [
          "E_PARAM",
          /^layers\[0\]: 'fc:pre': expected PATH, PATH:input or PATH:output$/,
        ],
        "gap on a vector": [
          "E_PARAM",
          /^reduce 'gap' for layer 'fc' .* needs an output of shape N x C x \.\.\. \(a conv map\), got \[4, 10\]$/,
        ],
        "unknown reduction": [
          "E_PARAM",
          /^reduce: expected None or one of gap, top-l2, flatten, cls, token-mean, got 'median'$/,
        ],
        "reduce names no layer": ["E_PARAM", /^reduce: 'layer2' is not one of the layers/],
        float64: ["E_PARAM", /^dtype: expected 'float32' or 'float16', got 'float64'$/],
        "shuffling loader": ["E_PARAM", /^loader: it shuffles/],
        "unknown length": ["E_PARAM", /pass samples=N$/],
        "samples beyond the dataset": [
          "E_PARAM",
          /^samples: 50, but the loader's dataset holds 36$/,
        ],
        "trace outside": [
          "E_PARAM",
          /^trace\[1\]: 36 is not a sample index \(expected 0 <= index < 36\)$/,
        ],
        "non-finite": ["E_NON_FINITE", /^layer '1' has a non-finite value in row 21 /],
        "float16 overflow": [
          "E_NON_FINITE",
          /^layer '0' has a non-finite value in row 13 after conversion to float16 .*65504.*dtype='float32'/,
        ],
        "varying sizes": [
          "E_SHAPE_MISMATCH",
          /^layer 'layer1': the batch from sample 4 has rows of shape \[64, 10, 10\], the first batch \[64, 8, 8\]; .*reduce/,
        ],
        "same bundle name": [
          "E_PARAM",
          /^layers\[1\] 'layer1:output' and layers\[0\] 'layer1' would both be bundle layer 'layer1:gap'/,
        ],
        "logits expected": [
          "E_SHAPE_MISMATCH",
          /^the model's output has shape \[8, 2, 2\], expected samples x classes logits .*predictions=False/,
        ],
        drop_last: [
          "E_SHAPE_MISMATCH",
          /^loader: yielded 32 samples, expected 36 .*drop_last=True/,
        ],
      };
      expect(Object.keys(result).sort()).toEqual([...Object.keys(expected), "left behind"].sort());
      for (const [name, [code, message]] of Object.entries(expected)) {
        expect(result[name], name).not.toBeNull();
        expect(result[name][0], name).toBe(code);
        expect(result[name][1], name).toMatch(message);
      }
      // The failed exports removed the files and folders they wrote, and the stale manifest.json.
      expect(result["left behind"]).toEqual([]);
    },
    120_000,
  );

  it.runIf(hasTorch)(
    "export_bundle writes a 128 MiB layer batch by batch without holding it in memory",
    () => {
      const out = join(tempDir(), "wide");
      const { result } = runPython(RSS, out);
      expect(result.layerBytes).toBe(128 * 64 * 64 * 64 * 4);
      expect(result.fileBytes - result.layerBytes).toBeLessThan(4096); // the .npy header only
      expect(result.maxDifference).toBeLessThan(1e-5);
      // Holding the layer (or mapping its file) would add its 128 MiB to the peak RSS (measured: a
      // memory-mapped variant adds 131 MB; this one adds about 4 MB over an 8-sample export).
      expect(result.peakAfter - result.peakBefore).toBeLessThan(result.layerBytes / 8);
    },
    180_000,
  );
});

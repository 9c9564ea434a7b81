/**
 * Trainer speed: the digits-mlp network for 100 epochs and one fashion-cnn epoch, side by side
 * with PyTorch on the CPU with one thread (Debian's python3-torch), same architecture, batch
 * size, optimiser and data. Only the training loops are timed.
 */
import { Network } from "../src/algo/nn/network.ts";
import { Trainer, TrainingData } from "../src/algo/nn/trainer.ts";
import {
  fashionAvailable,
  loadDigits,
  loadFashion,
  DIGITS_DIR,
  FASHION_DIR,
} from "../src/examples/node.ts";
import { scaledPixels } from "../src/examples/datasets.ts";
import { mlpSpec } from "../src/examples/recipes/digits-mlp.ts";
import { FASHION_SPEC } from "../src/examples/recipes/fashion-cnn.ts";
import { pythonHas, runPython, type Benchmark, type BenchRow } from "./harness.ts";

async function timeTraining(
  spec: Parameters<typeof Network.create>[0],
  X: Float32Array,
  labels: Int32Array,
  epochs: number,
  batchSize: number,
): Promise<number> {
  const net = await Network.create(spec, { seed: 1 });
  const data = TrainingData.classification(net, X, labels);
  const trainer = new Trainer(net, { optimizer: "adam", learningRate: 1e-3, batchSize, seed: 1 });
  const start = performance.now();
  for (let e = 0; e < epochs; e++) await trainer.epoch(data);
  const ms = performance.now() - start;
  data.dispose();
  trainer.dispose();
  net.dispose();
  return ms;
}

const TORCH_MLP = (dir: string, epochs: number) => `
import json, time, numpy as np, torch
torch.set_num_threads(1)
torch.manual_seed(1)
x = torch.tensor(np.load(${JSON.stringify(dir)} + "/images.npy").reshape(-1, 64).astype(np.float32) / 16)[:1348]
y = torch.tensor(np.load(${JSON.stringify(dir)} + "/labels.npy").astype(np.int64))[:1348]
layers = []
for i, d in enumerate([64, 32, 32]):
    layers += [torch.nn.Linear(d, 32), torch.nn.LeakyReLU(0.1)]
model = torch.nn.Sequential(*layers, torch.nn.Linear(32, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True)
t = time.perf_counter()
for _ in range(${epochs}):
    for xb, yb in loader:
        opt.zero_grad(); torch.nn.functional.cross_entropy(model(xb), yb).backward(); opt.step()
print(json.dumps({"ms": (time.perf_counter() - t) * 1000}))`;

const TORCH_FASHION = (dir: string) => `
import gzip, json, time, numpy as np, torch
torch.set_num_threads(1)
torch.manual_seed(1)
raw = gzip.open(${JSON.stringify(dir)} + "/train-images-idx3-ubyte.gz").read()
x = torch.tensor(np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / 255)
y = torch.tensor(np.frombuffer(gzip.open(${JSON.stringify(dir)} + "/train-labels-idx1-ubyte.gz").read(), np.uint8, offset=8).astype(np.int64))
def block(cin, cout, pool):
    return [torch.nn.Conv2d(cin, cout, 3, padding=1), torch.nn.ReLU()] + ([torch.nn.MaxPool2d(2)] if pool else [])
model = torch.nn.Sequential(*block(1, 8, True), *block(8, 16, True), *block(16, 32, True), *block(32, 64, False),
                            torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(64, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=64, shuffle=True)
t = time.perf_counter()
for xb, yb in loader:
    opt.zero_grad(); torch.nn.functional.cross_entropy(model(xb), yb).backward(); opt.step()
print(json.dumps({"ms": (time.perf_counter() - t) * 1000}))`;

export const nnBenchmark: Benchmark = {
  name: "nn",
  description: "trainer: digits-mlp 100 epochs and one fashion-cnn epoch vs PyTorch CPU, 1 thread",
  async run() {
    const rows: BenchRow[] = [];
    const torch = pythonHas("torch");
    const digits = await loadDigits();
    const X = scaledPixels(digits).subarray(0, 1348 * 64);
    const labels = digits.labels.subarray(0, 1348);
    const ours = await timeTraining(mlpSpec(), X, labels, 100, 32);
    rows.push({
      benchmark: "nn",
      case: "digits-mlp 64-32-32-32-10, 1,348 samples, batch 32, Adam, 100 epochs",
      ours,
      anchor: "PyTorch CPU, 1 thread",
      anchorMs: torch ? runPython<{ ms: number }>(TORCH_MLP(DIGITS_DIR, 100)).ms : null,
      note: torch ? undefined : "apt-get install python3-torch",
    });
    if (fashionAvailable()) {
      const fashion = await loadFashion();
      const fx = scaledPixels(fashion.train);
      const ms = await timeTraining(FASHION_SPEC, fx, fashion.train.labels, 1, 64);
      rows.push({
        benchmark: "nn",
        case: "fashion-cnn (4 conv blocks), 60,000 images, batch 64, 1 epoch",
        ours: ms,
        anchor: "PyTorch CPU, 1 thread",
        anchorMs: torch ? runPython<{ ms: number }>(TORCH_FASHION(FASHION_DIR)).ms : null,
      });
    } else {
      console.error("fashion-cnn benchmark skipped: apt-get install dataset-fashion-mnist");
    }
    return rows;
  },
};

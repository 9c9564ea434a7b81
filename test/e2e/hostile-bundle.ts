/**
 * Bundles whose every string field carries script, style and URL payloads, for the site's
 * security tests: the trained example networks with every name, class, layer file,
 * network-layer name and meta string replaced.
 */
import { loadBundleFromPath } from "../../src/io/node.ts";
import { zipBundle, type BundleInput, type LayerInput } from "../../src/io/bundle-write.ts";

/** Markup that must reach the page as text: script, style and URL payloads. */
export const SCRIPTS = [
  "<img src=x onerror=alert(1)>",
  "<script>alert(2)</script>",
  "<svg onload=alert(3)>",
  '"><img src=x onerror=alert(4)>',
  "'><img src=x onerror=alert(5)>",
  "</script><script>alert(6)</script>",
  "${alert(7)}",
  "::0 <img src=x onerror=alert(8)>",
  "<math><mtext><table><mglyph><style><img src=x onerror=alert(9)>",
  "<details open ontoggle=alert(10)>",
];
export const STYLES = [
  "<style>*{background:url(http://example.invalid/a.png)}</style>",
  '<b style="background:url(http://example.invalid/b.png)">b</b>',
  "<style>@import url(http://example.invalid/c.css);</style>",
  "<div style=position:fixed;inset:0;background:url(//example.invalid/d.png)>",
];
export const URLS = [
  "<img src=http://example.invalid/e.png>",
  "<a href=javascript:alert(11)>a</a>",
  "<iframe src=http://example.invalid/f></iframe>",
  "![g](http://example.invalid/g.png)",
  "[h](javascript:alert(12))",
  "<form action=http://example.invalid/i><button>i</button></form>",
  "<link rel=stylesheet href=http://example.invalid/j.css>",
  "<meta http-equiv=refresh content=0;url=http://example.invalid/k>",
  "<object data=http://example.invalid/l></object>",
  "<base href=http://example.invalid/>",
  "<video poster=http://example.invalid/m.png>",
];
/** Text no legitimate page holds in an attribute, a script or a style: it came from the bundle. */
export const MARKERS = ["alert(", "example.invalid", "javascript:"];

/** String field number i: a script, a style and a URL payload after a short readable label. */
export const hostile = (label: string, i: number) =>
  `${label} ${SCRIPTS[i % SCRIPTS.length]} ${STYLES[i % STYLES.length]} ${URLS[i % URLS.length]}`;
/** Payloads usable inside a file path (no ":" or "\", no empty segment). */
const PATH_PAYLOADS = [...SCRIPTS, ...STYLES, ...URLS].filter((p) => !/[:\\]|\/\//.test(p));
export const BUNDLE_NAME = `fuzz ${[...SCRIPTS, ...STYLES, ...URLS].join(" ")}`;
/** The name of layer i (in network order) of every fuzz bundle. */
export const layerName = (i: number) => hostile(`L${i}`, i);
export const CLASSES = Array.from({ length: 10 }, (_, k) => hostile(`c${k}`, k + 4));
export const ZIP_NAME = `${hostile("zip", 3)}.zip`;
export const payload = (i: number) => hostile("meta", i);

/**
 * An example bundle (digits-mlp: a dense network with its model, trace and checkpoints;
 * digits-cnn: conv maps and a model) with every string replaced: the bundle's name, its
 * classes, its layers and their files, the network's layer names and the meta strings. Every
 * 10th checkpoint is kept so that M-PHATE runs quickly.
 */
export async function fuzzBundleZip(example: "digits-mlp" | "digits-cnn"): Promise<Buffer> {
  const source = await loadBundleFromPath(
    new URL(`../../data/examples/${example}.zip`, import.meta.url).pathname,
  );
  const index = new Map(source.layers.map((l, i) => [l.name, i]));
  const file = (i: number, folder: string) =>
    `${folder}/${i} ${PATH_PAYLOADS[i % PATH_PAYLOADS.length]}.npy`;
  const layers = (list: typeof source.layers, folder: string): LayerInput[] =>
    list.map((l) => ({
      name: layerName(index.get(l.name)!),
      shape: l.shape,
      data: l.data,
      kind: l.kind,
      file: file(index.get(l.name)!, folder),
      dtype: "<f2",
    }));
  const spec = structuredClone(source.model!.spec) as { layers: { name?: string }[] };
  const network = new Map(spec.layers.map((l, i) => [l.name!, hostile(`net${i}`, i + 2)]));
  for (const l of spec.layers) l.name = network.get(l.name!);
  const input: BundleInput = {
    name: BUNDLE_NAME,
    task: source.task,
    classNames: CLASSES,
    layers: layers(source.layers, `layers ${PATH_PAYLOADS[0]}`),
    inputs: source.inputs,
    labels: source.labels,
    predictions: source.predictions,
    split: source.split,
    trace: source.trace,
    checkpoints: source.checkpoints
      ?.filter((_, c) => c % 10 === 0)
      .map((c) => ({
        epoch: c.epoch,
        layers: layers(c.layers, `epoch ${c.epoch} ${PATH_PAYLOADS[1]}`),
      })),
    model: {
      ...source.model!,
      spec,
      layers: Object.fromEntries(
        Object.entries(source.model!.layers!).map(([bundleLayer, net]) => [
          layerName(index.get(bundleLayer)!),
          network.get(net)!,
        ]),
      ),
    },
    meta: Object.fromEntries(
      Object.entries({ ...source.meta, variant: "", checkpointUnit: "", recipe: "" }).map(
        ([k, v], i) => [k, typeof v === "string" ? payload(i + 7) : v],
      ),
    ),
  };
  return Buffer.from(zipBundle(input));
}

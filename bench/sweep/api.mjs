// The library readers behind the sweep's "api" cases, for formats no command reads on its own
// (safetensors) and for reading a file exactly as a script would. Plain JavaScript so that the
// child process runs it on the built library (dist/) and the test on the sources (src/).
//
// `hidden-atlas api KIND FILE` prints {tensors: [{name, shape, dtype, count, sum, sumOfSquares,
// nonFinite}]} and exits 0, or prints "hidden-atlas api: E_CODE: message" and exits 1, as the
// command line does; anything else thrown is an internal error.

/** Control characters shown as \xXX, as the command line shows them. */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
const safe = (text) =>
  String(text).replace(CONTROLS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);

function summary(name, array) {
  let sum = 0;
  let sumOfSquares = 0;
  let nonFinite = 0;
  for (const value of array.data) {
    if (!Number.isFinite(value)) nonFinite++;
    else {
      sum += value;
      sumOfSquares += value * value;
    }
  }
  return {
    name,
    shape: array.shape,
    dtype: array.dtype,
    count: array.data.length,
    sum,
    sumOfSquares,
    nonFinite,
  };
}

/**
 * Run one reader. `io` holds readSafetensors, readNpy, readNpz and HiddenAtlasError (from the
 * library's io module); `readBytes` reads a file.
 */
export async function runApi(io, readBytes, argv, streams) {
  const [kind, file] = argv;
  try {
    const bytes = await readBytes(file);
    let tensors;
    if (kind === "safetensors")
      tensors = [...io.readSafetensors(bytes, file).tensors].map(([name, array]) =>
        summary(name, array),
      );
    else if (kind === "npy") tensors = [summary("array", io.readNpy(bytes, file))];
    else if (kind === "npz")
      tensors = [...io.readNpz(bytes, file)].map(([name, array]) => summary(name, array));
    else throw new Error(`unknown api kind ${kind}`);
    streams.stdout.write(JSON.stringify({ tensors }) + "\n");
    return 0;
  } catch (error) {
    if (error instanceof io.HiddenAtlasError) {
      streams.stderr.write(`hidden-atlas api: ${error.code}: ${safe(error.message)}\n`);
      return 1;
    }
    streams.stderr.write(`hidden-atlas api: internal error: ${safe(error?.stack ?? error)}\n`);
    return 1;
  }
}

/** Types of api.mjs (the library readers behind the sweep's "api" cases). */
export function runApi(
  io: unknown,
  readBytes: (path: string) => Promise<Uint8Array>,
  argv: string[],
  streams: { stdout: { write(text: string): unknown }; stderr: { write(text: string): unknown } },
): Promise<number>;

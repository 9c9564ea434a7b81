/**
 * SHA-256 of bytes, computed in the core (assembly/hash.ts) so that it works where Web Crypto
 * does not (pages served over plain http from another host, file:// reports).
 */
import { getCore } from "./wasm.ts";

/** Bytes hashed per kernel call: bounds the wasm scratch for large files. */
const CHUNK_BYTES = 1 << 20;
const STATE_BYTES = 104;

/** Hex SHA-256 of the concatenation of `parts`. */
export async function sha256Hex(...parts: Uint8Array[]): Promise<string> {
  const core = await getCore();
  return core.scope((s) => {
    const state = s.alloc(STATE_BYTES, "sha256 state");
    const total = parts.reduce((sum, p) => sum + p.length, 0);
    const buffer = s.u8(Math.max(1, Math.min(CHUNK_BYTES, total)), "sha256 buffer");
    core.kernels.sha256Init(state);
    for (const part of parts) {
      for (let offset = 0; offset < part.length; offset += CHUNK_BYTES) {
        const chunk = part.subarray(offset, Math.min(part.length, offset + CHUNK_BYTES));
        buffer.view().set(chunk);
        core.kernels.sha256Update(state, buffer.ptr, chunk.length);
      }
    }
    const out = s.u8(32, "sha256 digest");
    core.kernels.sha256Final(state, out.ptr);
    return Array.from(out.view(), (b) => b.toString(16).padStart(2, "0")).join("");
  });
}

/**
 * A zip writer for hostile archives (PKWARE APPNOTE 4.3): every field the readers trust can be
 * set to a lie — names that differ between the local header and the directory, declared sizes
 * and CRCs, methods, flags, Unix modes (symbolic links), duplicate entries, comments.
 */
import { deflateSync } from "fflate";
import { crc32 } from "../../src/io/crc32.ts";

export interface CraftEntry {
  name: string;
  data: Uint8Array;
  /** Deflate the data (method 8); stored otherwise. */
  deflate?: boolean;
  /** The method number written (defaults to 8 or 0). */
  method?: number;
  /** Name in the local header (defaults to `name`). */
  localName?: string;
  /** Declared sizes and CRC (default: the true ones). */
  size?: number;
  compressedSize?: number;
  crc?: number;
  flags?: number;
  /** Unix mode in the external attributes, e.g. 0o120777 for a symbolic link. */
  unixMode?: number;
}

export interface CraftOptions {
  comment?: Uint8Array;
  /** Entry count written in the end record (default: the true one). */
  count?: number;
  /** Offset of the central directory written in the end record (default: the true one). */
  directoryOffset?: number;
  /** Bytes put between the entries and the directory. */
  gap?: Uint8Array;
}

export function craftZip(entries: CraftEntry[], options: CraftOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const enc = (s: string) => new TextEncoder().encode(s);
  for (const e of entries) {
    const stored = e.deflate ? deflateSync(e.data, { level: 6 }) : e.data;
    const method = e.method ?? (e.deflate ? 8 : 0);
    const crc = e.crc ?? crc32(e.data);
    const size = e.size ?? e.data.length;
    const compressedSize = e.compressedSize ?? stored.length;
    const localName = enc(e.localName ?? e.name);
    const name = enc(e.name);
    const flags = e.flags ?? 0x0800;
    const local = new Uint8Array(30 + localName.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, flags, true);
    lv.setUint16(8, method, true);
    lv.setUint16(10, 0, true);
    lv.setUint16(12, 0x21, true);
    lv.setUint32(14, crc >>> 0, true);
    lv.setUint32(18, compressedSize >>> 0, true);
    lv.setUint32(22, size >>> 0, true);
    lv.setUint16(26, localName.length, true);
    lv.setUint16(28, 0, true);
    local.set(localName, 30);
    const record = new Uint8Array(46 + name.length);
    const cv = new DataView(record.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, e.unixMode !== undefined ? 0x0314 : 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, flags, true);
    cv.setUint16(10, method, true);
    cv.setUint16(12, 0, true);
    cv.setUint16(14, 0x21, true);
    cv.setUint32(16, crc >>> 0, true);
    cv.setUint32(20, compressedSize >>> 0, true);
    cv.setUint32(24, size >>> 0, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(38, e.unixMode !== undefined ? (e.unixMode << 16) >>> 0 : 0, true);
    cv.setUint32(42, offset, true);
    record.set(name, 46);
    central.push(record);
    parts.push(local, stored);
    offset += local.length + stored.length;
  }
  if (options.gap) {
    parts.push(options.gap);
    offset += options.gap.length;
  }
  const directory = concat(central);
  const comment = options.comment ?? new Uint8Array(0);
  const end = new Uint8Array(22 + comment.length);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, options.count ?? entries.length, true);
  ev.setUint16(10, options.count ?? entries.length, true);
  ev.setUint32(12, directory.length, true);
  ev.setUint32(16, options.directoryOffset ?? offset, true);
  ev.setUint16(20, comment.length, true);
  end.set(comment, 22);
  return concat([...parts, directory, end]);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

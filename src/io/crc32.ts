/**
 * CRC-32 as zip archives use it (ISO 3309 / ITU-T V.42: polynomial 0x04C11DB7, reflected as
 * 0xEDB88320, initial value and final XOR 0xFFFFFFFF; APPNOTE.TXT 4.4.7), so that a flipped
 * byte in an archive entry is caught rather than read.
 *
 * Slicing-by-8 (Kounavis & Berry, "A Systematic Approach to Building High Performance
 * Software-based CRC Generators", ISCC 2005): eight 256-entry tables let the inner loop take
 * eight bytes per step instead of one.
 */

/** The reflected CRC-32 polynomial. */
const POLYNOMIAL = 0xedb88320;
const SLICES = 8;

/** TABLES[k * 256 + b]: the CRC of byte b followed by k zero bytes. */
const TABLES = buildTables();

function buildTables(): Int32Array {
  const tables = new Int32Array(SLICES * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    tables[b] = c;
  }
  for (let b = 0; b < 256; b++) {
    let c = tables[b];
    for (let k = 1; k < SLICES; k++) {
      c = tables[c & 0xff] ^ (c >>> 8);
      tables[k * 256 + b] = c;
    }
  }
  return tables;
}

/**
 * The CRC-32 of `bytes`, continuing from `crc` (the value returned for the bytes before them;
 * 0 to start).
 *
 * @example
 * crc32(new TextEncoder().encode("123456789")); // 0xcbf43926
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const t = TABLES;
  let c = ~crc;
  let i = 0;
  const end8 = bytes.length - (bytes.length % SLICES);
  for (; i < end8; i += SLICES) {
    const lo = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    c =
      t[7 * 256 + (lo & 0xff)] ^
      t[6 * 256 + ((lo >>> 8) & 0xff)] ^
      t[5 * 256 + ((lo >>> 16) & 0xff)] ^
      t[4 * 256 + (lo >>> 24)] ^
      t[3 * 256 + bytes[i + 4]] ^
      t[2 * 256 + bytes[i + 5]] ^
      t[256 + bytes[i + 6]] ^
      t[bytes[i + 7]];
  }
  for (; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

// SHA-256 (FIPS 180-4), streaming. Reports name their data by this hash; computing it in the
// core makes it available where Web Crypto is not (insecure origins, old runtimes).
//
// Memory contract: a hashing state is SHA256_STATE_BYTES at `state`:
//   [0, 32)   eight u32 working hash words
//   [32, 96)  the partial 64-byte block
//   [96, 104) total message length in bytes (u64)
// `out` receives 32 bytes, big-endian words as the standard prints them.

export const SHA256_STATE_BYTES: i32 = 104;

// First 32 bits of the fractional parts of the cube roots of the first 64 primes (FIPS 180-4
// §4.2.2).
const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

// Message schedule, reused by every block (no allocation per block).
const W = new StaticArray<u32>(64);

// @ts-ignore: decorator
@inline function big32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

function compress(state: usize, block: usize): void {
  for (let t = 0; t < 16; t++) unchecked((W[t] = big32(block + ((<usize>t) << 2))));
  for (let t = 16; t < 64; t++) {
    const w15 = unchecked(W[t - 15]);
    const w2 = unchecked(W[t - 2]);
    const s0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
    unchecked((W[t] = unchecked(W[t - 16]) + s0 + unchecked(W[t - 7]) + s1));
  }
  let a = load<u32>(state, 0);
  let b = load<u32>(state, 4);
  let c = load<u32>(state, 8);
  let d = load<u32>(state, 12);
  let e = load<u32>(state, 16);
  let f = load<u32>(state, 20);
  let g = load<u32>(state, 24);
  let h = load<u32>(state, 28);
  for (let t = 0; t < 64; t++) {
    const s1 = rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25);
    const ch = (e & f) ^ (~e & g);
    const t1 = h + s1 + ch + unchecked(K[t]) + unchecked(W[t]);
    const s0 = rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22);
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = s0 + maj;
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  store<u32>(state, load<u32>(state, 0) + a, 0);
  store<u32>(state, load<u32>(state, 4) + b, 4);
  store<u32>(state, load<u32>(state, 8) + c, 8);
  store<u32>(state, load<u32>(state, 12) + d, 12);
  store<u32>(state, load<u32>(state, 16) + e, 16);
  store<u32>(state, load<u32>(state, 20) + f, 20);
  store<u32>(state, load<u32>(state, 24) + g, 24);
  store<u32>(state, load<u32>(state, 28) + h, 28);
}

export function sha256Init(state: usize): void {
  // First 32 bits of the fractional parts of the square roots of the first 8 primes.
  store<u32>(state, 0x6a09e667, 0);
  store<u32>(state, 0xbb67ae85, 4);
  store<u32>(state, 0x3c6ef372, 8);
  store<u32>(state, 0xa54ff53a, 12);
  store<u32>(state, 0x510e527f, 16);
  store<u32>(state, 0x9b05688c, 20);
  store<u32>(state, 0x1f83d9ab, 24);
  store<u32>(state, 0x5be0cd19, 28);
  store<u64>(state, 0, 96);
}

export function sha256Update(state: usize, data: usize, length: usize): void {
  const buffer = state + 32;
  let total = load<u64>(state, 96);
  let used = <usize>(total & 63);
  store<u64>(state, total + <u64>length, 96);
  let p = data;
  let remaining = length;
  if (used > 0) {
    const take = min<usize>(<usize>64 - used, remaining);
    memory.copy(buffer + used, p, take);
    used += take;
    p += take;
    remaining -= take;
    if (used < 64) return;
    compress(state, buffer);
  }
  while (remaining >= 64) {
    compress(state, p);
    p += 64;
    remaining -= 64;
  }
  if (remaining > 0) memory.copy(buffer, p, remaining);
}

export function sha256Final(state: usize, out: usize): void {
  const buffer = state + 32;
  const total = load<u64>(state, 96);
  let used = <usize>(total & 63);
  store<u8>(buffer + used, 0x80);
  used++;
  if (used > 56) {
    memory.fill(buffer + used, 0, 64 - used);
    compress(state, buffer);
    used = 0;
  }
  memory.fill(buffer + used, 0, 56 - used);
  store<u64>(buffer, bswap<u64>(total << 3), 56);
  compress(state, buffer);
  for (let i = 0; i < 8; i++) {
    store<u32>(out + ((<usize>i) << 2), bswap<u32>(load<u32>(state + ((<usize>i) << 2))));
  }
}

/**
 * Counter-based random bits for stochastic rounding and dropout: a pure function of (seed, index), so a
 * run is bit-reproducible whatever the order or the number of threads that draw. The mixer is Chris
 * Wellons' `lowbias32` (a bijective 32-bit integer hash with low avalanche bias); the native kernels of
 * `@lowprec/tensor` implement the same function and are held to it bit for bit.
 */

/** One round of the lowbias32 integer hash (a bijection on uint32). */
export function lowbias32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The key for draws with indices in [hi·2^32, (hi+1)·2^32): mixes the seed and the high word. */
export function streamKey(seed: number, hi: number): number {
  return lowbias32((lowbias32(seed >>> 0) + hi) >>> 0);
}

/** The draw at the low index word `lo` under `key` (see streamKey). */
export function bitsAt(key: number, lo: number): number {
  return lowbias32((lowbias32((lo ^ key) >>> 0) ^ key) >>> 0);
}

/**
 * 32 random bits at position `index` of the stream `seed`.
 * @param seed any integer; its low 32 bits are used
 * @param index a non-negative integer below 2^53
 * @returns an integer in [0, 2^32)
 */
export function randomBits(seed: number, index: number): number {
  const hi = Math.floor(index / 4294967296);
  return bitsAt(streamKey(seed, hi), index - hi * 4294967296);
}

/** A uniform draw in [0, 1) at position `index` of the stream `seed` (randomBits / 2^32). */
export function uniformAt(seed: number, index: number): number {
  return randomBits(seed, index) / 4294967296;
}

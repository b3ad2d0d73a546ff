/**
 * The two functions of @lowprec/formats the kernels use: `quantize` (the definition of rounding) and
 * `randomBits` (the counter-based generator). Re-exported from one place so every kernel shares them.
 */
export { quantize, randomBits } from "@lowprec/formats";

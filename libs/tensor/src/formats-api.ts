/**
 * The functions of @lowprec/formats the kernels use: `quantize` and `quantizeMx` (the definitions of rounding) and
 * `randomBits` (the counter-based generator). Re-exported from one place so every kernel shares them.
 */
export { emptyMxStats, quantize, quantizeMx, randomBits } from "@lowprec/formats";

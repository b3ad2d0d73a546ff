/**
 * @lowprec/tensor: compute kernels over Float32Array for the Maxout trainer, on a TypeScript reference
 * backend (`ts`) and a native N-API + OpenBLAS backend (`native`). See kernels.ts for the contract.
 */
export * from "./kernels.js";

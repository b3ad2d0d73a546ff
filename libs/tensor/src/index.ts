/**
 * @lowprec/tensor: compute kernels over Float32Array for the Maxout trainer, on a TypeScript reference
 * backend (`ts`) and a native N-API + OpenBLAS backend (`native`). See kernels.ts for the contract.
 *
 * @example
 * import { getBackend, backendInfo } from "@lowprec/tensor";
 * const be = getBackend();              // LOWPREC_BACKEND=ts|native, else native when built
 * console.log(backendInfo());           // { name: "native", blas: true, threads: 2, conv: "onednn", simd: "avx512" }
 * be.gemm({ m: 2, n: 2, k: 1, a: Float32Array.of(1, 2), b: Float32Array.of(3, 4), c: new Float32Array(4) });
 */
export * from "./kernels.js";
export { ShapeError, KernelNotImplementedError } from "./errors.js";
export {
  getBackend,
  backendInfo,
  describeBackend,
  nativeAvailable,
  setNativeBlas,
  simdPaths,
  withSimd,
} from "./registry.js";
export {
  profileBackend,
  profilingEnabled,
  kernelProfile,
  resetKernelProfile,
  emptyKernelProfile,
  type KernelProfile,
  type KernelTiming,
} from "./profile.js";
export { TsBackend } from "./backends/ts.js";
export { tanhBasic, expNeg } from "./tanh.js";
export { addMxStats, zeroMxStats } from "./mx-matrix.js";
export { nativeFloat64Available, nativeMatMulNT64, nativeEigh64, type MatMulNT64, type Eigen64 } from "./linalg64.js";

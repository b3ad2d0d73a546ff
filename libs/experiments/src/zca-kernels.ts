/**
 * The kernels CIFAR-10's ZCA whitening runs on. @lowprec/datasets may not import @lowprec/tensor, so the CLI
 * (which may import both) injects the native float64 kernels when the addon has them: OpenBLAS dgemm/dsyrk
 * for C += A·Bᵀ and LAPACK dsyevd for the 3072×3072 eigendecomposition (≈ 20 min in TypeScript, ≈ 1 min
 * natively). Otherwise datasets' own TypeScript kernels run, and the line printed says why.
 */
import type { Cifar10Options } from "@lowprec/datasets";
import { nativeEigh64, nativeFloat64Available, nativeMatMulNT64 } from "@lowprec/tensor";

export type ZcaKernels = NonNullable<Cifar10Options["kernels"]>;

/**
 * The kernels to pass as `loadCifar10({ kernels })` (undefined: datasets' TypeScript defaults) and one line saying
 * which.
 */
export function zcaKernels(): { kernels: ZcaKernels | undefined; description: string } {
  const native = nativeFloat64Available();
  if (!native.available)
    return {
      kernels: undefined,
      description: `ZCA: TypeScript kernels (${native.reason ?? "native float64 kernels unavailable"})`,
    };
  return {
    kernels: { matMulNT: nativeMatMulNT64, eigh: nativeEigh64 },
    description: "ZCA: native OpenBLAS dgemm + LAPACK dsyevd",
  };
}

let printed = false;

/** zcaKernels(), printing its description the first time (through `log`). */
export function zcaKernelsOnce(log: (line: string) => void = console.log): ZcaKernels | undefined {
  const z = zcaKernels();
  if (!printed) {
    printed = true;
    log(z.description);
  }
  return z.kernels;
}

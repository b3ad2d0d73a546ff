/** gemm GFLOP/s (2·m·k·n / time), native (BLAS and own kernel) and, for small sizes, ts. */
import { setNativeBlas, TsBackend } from "../src/index.js";
import { fill, header, timeIt } from "./common.js";

const natives = header("gemm float32, C = A·B (m×k·k×n)");
for (const [m, k, n] of [
  [128, 1200, 1200],
  [256, 784, 240],
  [128, 2048, 400],
  [512, 1024, 1024],
] as [number, number, number][]) {
  const a = fill(m * k, 1),
    b = fill(k * n, 2),
    c = new Float32Array(m * n);
  const flop = 2 * m * k * n;
  for (const be of natives) {
    for (const blas of [true, false]) {
      setNativeBlas(blas);
      const t = timeIt(() => be.gemm({ m, n, k, a, b, c }));
      console.log(
        `native ${blas ? "BLAS" : "own "} ${m}x${k}x${n}: ${(flop / t / 1e9).toFixed(1)} GFLOP/s` +
          ` (${(t * 1e3).toFixed(2)} ms)`,
      );
    }
    setNativeBlas(true);
  }
  if (m * k * n <= 128 * 1200 * 1200) {
    const t = timeIt(() => TsBackend.gemm({ m, n, k, a, b, c }), 1);
    console.log(`ts          ${m}x${k}x${n}: ${(flop / t / 1e9).toFixed(2)} GFLOP/s`);
  }
}

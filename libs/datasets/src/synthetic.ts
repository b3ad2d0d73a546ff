/**
 * Synthetic CIFAR-10 files in the genuine binary format (data_batch_1..5.bin, test_batch.bin), for
 * benchmarks and pipeline checks at the real size where the real files are absent. The images are
 * smooth random colour waves plus noise (so GCN and ZCA see realistic correlations); the labels are
 * uniform. Deterministic: the same counts give the same bytes.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Writes `trainCount` records over the five training batches and `testCount` into test_batch.bin. */
export function writeSyntheticCifar10(dir: string, trainCount: number, testCount: number): void {
  if (!Number.isInteger(trainCount) || trainCount < 5 || !Number.isInteger(testCount) || testCount < 1)
    throw new RangeError(
      `writeSyntheticCifar10: counts must be integers, at least 5 training records` +
        ` (one per batch file) and 1 test record, got ${trainCount} and ${testCount}`,
    );
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const record = (buf: Uint8Array, o: number) => {
    buf[o] = Math.floor(rnd() * 10);
    const fx = 1 + rnd() * 3,
      fy = 1 + rnd() * 3,
      ph = rnd() * 6.28,
      base = 60 + rnd() * 120;
    for (let ch = 0; ch < 3; ch++) {
      const tint = 0.7 + 0.6 * rnd();
      for (let r = 0; r < 32; r++)
        for (let c = 0; c < 32; c++) {
          const v = base * tint + 50 * Math.sin((fx * r + fy * c) / 10 + ph) + 20 * (rnd() - 0.5);
          buf[o + 1 + ch * 1024 + r * 32 + c] = Math.max(0, Math.min(255, Math.round(v)));
        }
    }
  };
  for (let b = 1; b <= 5; b++) {
    const n = Math.floor(trainCount / 5) + (b <= trainCount % 5 ? 1 : 0);
    const buf = new Uint8Array(n * 3073);
    for (let i = 0; i < n; i++) record(buf, i * 3073);
    writeFileSync(join(dir, `data_batch_${b}.bin`), buf);
  }
  const buf = new Uint8Array(testCount * 3073);
  for (let i = 0; i < testCount; i++) record(buf, i * 3073);
  writeFileSync(join(dir, "test_batch.bin"), buf);
}

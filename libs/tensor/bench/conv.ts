/**
 * Convolution forward + both backward passes for the CIFAR-10 net's second layer (METHOD.md §4.3): batch 128,
 * 64 → 128×2 = 256 maps, 5×5, 16×16, pad 2. FLOPs = 3 × 2·N·F·C·K·K·OH·OW.
 */
import { fill, header, timeIt } from "./common.js";

const natives = header("conv CIFAR-10 layer 2: 128×64×16×16 → 256 maps, 5×5, pad 2");
const s = {
  batch: 128,
  inChannels: 64,
  height: 16,
  width: 16,
  outChannels: 256,
  kernelH: 5,
  kernelW: 5,
  padH: 2,
  padW: 2,
  strideH: 1,
  strideW: 1,
};
const x = fill(128 * 64 * 256, 1),
  w = fill(256 * 64 * 25, 2).map((v) => v * 0.05),
  y = new Float32Array(128 * 256 * 256);
const dy = fill(y.length, 3),
  dx = new Float32Array(x.length),
  dw = new Float32Array(w.length);
const pass = 2 * 128 * 256 * 64 * 25 * 256;
for (const be of natives) {
  const tf = timeIt(() => be.conv2dForward({ ...s, x, w, y }), 2);
  const td = timeIt(() => be.conv2dBackwardData({ ...s, dy, w, dx }), 2);
  const tw = timeIt(() => be.conv2dBackwardFilter({ ...s, x, dy, dw }), 2);
  const tAll = tf + td + tw;
  console.log(
    `native forward ${(pass / tf / 1e9).toFixed(1)} GFLOP/s (${(tf * 1e3).toFixed(0)} ms)` +
      `, backward data ${(pass / td / 1e9).toFixed(1)} (${(td * 1e3).toFixed(0)} ms)` +
      `, backward filter ${(pass / tw / 1e9).toFixed(1)} (${(tw * 1e3).toFixed(0)} ms)`,
  );
  console.log(
    `native forward+backward: ${((3 * pass) / tAll / 1e9).toFixed(1)} GFLOP/s` +
      ` (${(tAll * 1e3).toFixed(0)} ms for ${((3 * pass) / 1e9).toFixed(1)} GFLOP)`,
  );
}

/**
 * The ViT's float32 forward and backward passes against an independent float64 reference (test/reference.ts, written
 * from METHOD.md §9): the loss agrees to float32 accuracy, and every gradient of every parameter (patch embedding,
 * positions, LayerNorm γ and β, Q/K/V/output projections through attention, the GELU MLP, the classifier) agrees with
 * central finite differences of the float64 loss. On both backends, on a network with odd shapes.
 */
import { PRECISION_PRESETS } from "@lowprec/precision";
import { getBackend, type Kernels, TsBackend } from "@lowprec/tensor";
import { describe, expect, it } from "vitest";
import { Vit, type VitSpec } from "../src/index.js";
import { paramsOf, referenceLoss } from "./reference.js";

/** 3×6 images in 2 channels, 3×3 patches (2 tokens), d = 6, 2 heads of 3, 2 blocks, MLP 5, 3 classes. */
const ODD: VitSpec = {
  image: { channels: 2, height: 3, width: 6 },
  patch: 3,
  dim: 6,
  heads: 2,
  blocks: 2,
  mlp: 5,
  classes: 3,
};

function batch(spec: VitSpec, images: number, seed: number) {
  const per = spec.image.channels * spec.image.height * spec.image.width;
  let s = seed;
  const rnd = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const x = Float32Array.from({ length: images * per }, () => 2 * rnd() - 1);
  const labels = Int32Array.from({ length: images }, () => Math.floor(rnd() * spec.classes));
  return { x, labels };
}

/** A network with every parameter random (γ, β and biases too, so that their gradients are not special). */
function randomNet(spec: VitSpec, kernels: Kernels, images: number): Vit {
  const net = new Vit(spec, PRECISION_PRESETS.fp32, kernels, images, 7);
  net.init(7);
  let s = 99;
  for (const l of net.paramLayers)
    for (const a of [l.params.w, l.params.b])
      for (let i = 0; i < a.length; i++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        a[i] = a[i]! + 0.3 * (s / 4294967296 - 0.5);
      }
  return net;
}

const backends: [string, Kernels][] = [["ts", TsBackend]];
try {
  backends.push(["native", getBackend("native")]);
} catch {
  // NOTE: without the addon the native half is not run; the tensor tests say why
}

describe.each(backends)("ViT gradients against float64 finite differences (%s)", (_name, kernels) => {
  for (const [label, spec, images] of [
    ["odd shapes, batch 3", ODD, 3],
    ["one token, one head, batch 1", { ...ODD, image: { channels: 1, height: 3, width: 3 }, heads: 1, blocks: 1 }, 1],
    // one channel: the patch cut is the kernels' swapAxes (4 tokens in 2 bands of 2)
    ["one channel, 6×6 images (4 tokens), batch 2", { ...ODD, image: { channels: 1, height: 6, width: 6 } }, 2],
  ] as const) {
    it(label, () => {
      const net = randomNet(spec, kernels, images);
      const { x, labels } = batch(spec, images, 5);
      net.setLabels(labels);
      const r = net.forward(x, images);
      net.backward(images);
      const P = paramsOf(net);
      const ref = referenceLoss(net, P, x, labels, images);
      expect(Math.abs(r.loss / images - ref)).toBeLessThan(1e-5 * Math.max(1, ref));
      const eps = 1e-5;
      let checked = 0;
      for (const l of net.paramLayers) {
        const p = P.get(l.name)!;
        for (const [which, grad] of [
          ["w", l.params.gw],
          ["b", l.params.gb],
        ] as const) {
          const a = p[which];
          const scale = Math.max(1e-3, ...Array.from(grad, Math.abs));
          for (let i = 0; i < a.length; i++) {
            const keep = a[i]!;
            a[i] = keep + eps;
            const up = referenceLoss(net, P, x, labels, images);
            a[i] = keep - eps;
            const down = referenceLoss(net, P, x, labels, images);
            a[i] = keep;
            const fd = (up - down) / (2 * eps);
            const err = Math.abs(grad[i]! - fd);
            expect(err, `${l.name}.${which}[${i}]: ${grad[i]} vs ${fd}`).toBeLessThan(
              2e-5 * scale + 1e-3 * Math.abs(fd),
            );
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(100);
    });
  }
});

/**
 * The geometry of a network as plain data (for cost models such as @lowprec/hwcost, which must not
 * import this library): per layer, its kind, sizes, parameter count and multiplications per example.
 */
import { convOutputSize, poolOutputSize } from "@lowprec/tensor";
import type { NetworkSpec } from "./presets.js";

export interface LayerShape {
  readonly kind: "maxout-dense" | "maxout-conv" | "softmax";
  /** values per example entering and leaving the layer */
  readonly inputs: number;
  readonly outputs: number;
  /** weights + biases */
  readonly parameters: number;
  /** multiply-accumulates of the forward pass, per example */
  readonly multiplies: number;
}

export function networkShapes(net: NetworkSpec): LayerShape[] {
  let [c, h, w] = net.input;
  const out: LayerShape[] = [];
  for (const l of net.layers) {
    const inputs = c * h * w;
    if (l.kind === "maxout-conv") {
      const f = l.maps * l.pieces;
      const ch = convOutputSize(h, l.kernel, l.padding, 1), cw = convOutputSize(w, l.kernel, l.padding, 1);
      const ph = poolOutputSize(ch, l.poolSize, l.poolStride), pw = poolOutputSize(cw, l.poolSize, l.poolStride);
      out.push({ kind: l.kind, inputs, outputs: l.maps * ph * pw, parameters: f * c * l.kernel * l.kernel + f, multiplies: f * ch * cw * c * l.kernel * l.kernel });
      [c, h, w] = [l.maps, ph, pw];
    } else {
      const units = l.kind === "softmax" ? l.classes : l.units * l.pieces;
      const outputs = l.kind === "softmax" ? l.classes : l.units;
      out.push({ kind: l.kind, inputs, outputs, parameters: inputs * units + units, multiplies: inputs * units });
      [c, h, w] = [outputs, 1, 1];
    }
  }
  return out;
}

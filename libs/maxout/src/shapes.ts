/**
 * The geometry of a network as plain data, for cost models. The field names are those of
 * `@lowprec/hwcost`'s `LayerShape` (dense / conv / softmax), so a list made here can be costed there
 * without either library importing the other; a CLI test holds the two equal for the
 * four presets. Each layer also carries its output size, parameter count and forward multiplies.
 */
import { convOutputSize, poolOutputSize } from "@lowprec/tensor";
import type { NetworkSpec } from "./presets.js";

interface Derived {
  /** values per example leaving the layer */
  readonly outputs: number;
  /** weights + biases */
  readonly parameters: number;
  /** multiply-accumulates of the forward pass, per example */
  readonly multiplies: number;
}

export type LayerShape =
  | ({ readonly kind: "dense"; readonly inputs: number; readonly units: number; readonly pieces: number } & Derived)
  | ({
      readonly kind: "conv";
      readonly inChannels: number;
      readonly height: number;
      readonly width: number;
      readonly maps: number;
      readonly pieces: number;
      readonly kernel: number;
      readonly padding: number;
      readonly stride: number;
      readonly pool: { readonly size: number; readonly stride: number };
    } & Derived)
  | ({ readonly kind: "softmax"; readonly inputs: number; readonly classes: number } & Derived);

export function networkShapes(net: NetworkSpec): LayerShape[] {
  let [c, h, w] = net.input;
  const out: LayerShape[] = [];
  for (const l of net.layers) {
    const inputs = c * h * w;
    if (l.kind === "maxout-conv") {
      const f = l.maps * l.pieces;
      const ch = convOutputSize(h, l.kernel, l.padding, 1),
        cw = convOutputSize(w, l.kernel, l.padding, 1);
      const ph = poolOutputSize(ch, l.poolSize, l.poolStride),
        pw = poolOutputSize(cw, l.poolSize, l.poolStride);
      out.push({
        kind: "conv",
        inChannels: c,
        height: h,
        width: w,
        maps: l.maps,
        pieces: l.pieces,
        kernel: l.kernel,
        padding: l.padding,
        stride: 1,
        pool: { size: l.poolSize, stride: l.poolStride },
        outputs: l.maps * ph * pw,
        parameters: f * c * l.kernel * l.kernel + f,
        multiplies: f * ch * cw * c * l.kernel * l.kernel,
      });
      [c, h, w] = [l.maps, ph, pw];
    } else if (l.kind === "maxout-dense") {
      const units = l.units * l.pieces;
      out.push({
        kind: "dense",
        inputs,
        units: l.units,
        pieces: l.pieces,
        outputs: l.units,
        parameters: inputs * units + units,
        multiplies: inputs * units,
      });
      [c, h, w] = [l.units, 1, 1];
    } else {
      out.push({
        kind: "softmax",
        inputs,
        classes: l.classes,
        outputs: l.classes,
        parameters: inputs * l.classes + l.classes,
        multiplies: inputs * l.classes,
      });
      [c, h, w] = [l.classes, 1, 1];
    }
  }
  return out;
}

/**
 * Why examples of `shape` cannot feed `net`, or undefined when they can. [c, h, w] must be the network's input;
 * a flat [features] view (e.g. PI-MNIST's [784]) is accepted when the first layer is dense, maxout or softmax (which
 * sees its input flattened anyway), and the feature counts match.
 */
export function inputShapeProblem(net: NetworkSpec, shape: readonly number[]): string | undefined {
  const [c, h, w] = net.input;
  const expected = `a network whose input is [${c}, ${h}, ${w}]`;
  const got = `images of shape [${shape.join(", ")}]`;
  if (shape.length === 3)
    return shape[0] === c && shape[1] === h && shape[2] === w ? undefined : `${got} for ${expected}`;
  if (shape.length === 1) {
    if (net.layers[0]?.kind === "maxout-conv")
      return `${got} (a flat view) for a network whose first layer is a convolution; pass [${c}, ${h}, ${w}] images`;
    return shape[0] === c * h * w ? undefined : `${got} for ${expected} (${c * h * w} features)`;
  }
  return `${got} for ${expected}: expected [${c}, ${h}, ${w}] or, for a dense first layer, [${c * h * w}]`;
}

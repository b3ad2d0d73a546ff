/**
 * Beyond the paper: bfloat16 and the OCP FP8 formats E4M3 and E5M2 as precision settings, rounded at the rounding
 * points of METHOD.md §3 through the same quantize kernels, FP8 with a power-of-two scale per group moved by the
 * dynamic fixed point scaling policies (s = integerBits − (emax + 1)), parameters stored in a wider float
 * (`updateFormat`).
 */
import { getBackend, nativeAvailable, type Kernels } from "@lowprec/tensor";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  DivergenceError,
  LayerPrecision,
  MemoryOutput,
  Network,
  PRECISION_PRESETS,
  ROUNDING_POINTS,
  resolveConfig,
  resolveGroup,
  train,
  type PointName,
  type PrecisionSpec,
  type RoundingEvent,
  type TrainResult,
} from "../src/index.js";
import type { NetworkSpec } from "../src/presets.js";
import { scaledFloat } from "@lowprec/precision";
import { denseNet, kernels, toyConfig, toyData, toySplits } from "./helpers.js";

const P = 2 ** -8;
const POINTS = Object.keys(ROUNDING_POINTS) as PointName[];

/** Rounds `values` as the policy rounds at `point` (a fresh layer policy: every scale at its initial bits). */
function roundAt(spec: PrecisionSpec, point: PointName, values: number[], k: Kernels = kernels): number[] {
  const q = new LayerPrecision(spec, 0, 1).at(point);
  if (!q) throw new Error(`${point} does not round`);
  const x = Float32Array.from(values);
  k.quantize({ x, ...q });
  return [...x];
}

/** bfloat16 (8 exponent, 7 mantissa bits; IEEE: subnormals, overflow to ±Infinity), nearest even. */
const BF16_IN = [1 + P, 1 + 3 * P, -(1 + P + 2 ** -20), 0.1, 3.4e38, -Infinity, 2 ** -134, 3 * 2 ** -135, NaN];
const BF16_OUT = [1, 1 + 2 ** -6, -(1 + 2 ** -7), 0.10009765625, Infinity, -Infinity, 0, 2 ** -133, NaN];

/**
 * FP8 E4M3 (OCP: no infinities, max 448, saturating) at the initial 5 integer bits: s = 5 − 9 = −4, so the grid is
 * E4M3's divided by 16: max 28, smallest normal 2^-10, smallest subnormal 2^-13.
 */
const E4M3_IN = [0.1, 0.0625 + 2 ** -8, 27, 30, 1e6, -Infinity, 2 ** -14, 1.5 * 2 ** -13, NaN];
// 0.1·16 = 1.6 → 1.625; 1 + 1/16 ties to 1; 27·16 = 432 ties between 416 (odd) and 448; beyond 28 saturates
const E4M3_OUT = [0.1015625, 0.0625, 28, 28, 28, -28, 0, 2 ** -12, NaN];

/**
 * FP8 E5M2 (max 57344) at 5 integer bits: s = 5 − 16 = −11: max 28, step 4 in [16, 32), smallest subnormal 2^-27.
 * The preset converts in the OCP saturation mode; `floatOverflow: "infinity"` is E5M2's IEEE overflow.
 */
const E5M2_IN = [0.1, 26, 29.99, 30, Infinity, 2 ** -28, 3 * 2 ** -28];
// 0.1·2048 = 204.8 → 192; 26 ties between 24 (even) and 28; 30 = (57344 + 4096)·2^-11 is the IEEE overflow threshold
const E5M2_SAT = [0.09375, 24, 28, 28, 28, 0, 2 ** -26];
const E5M2_INF = [0.09375, 24, 28, Infinity, Infinity, 0, 2 ** -26];

const same = (a: number[], b: number[]) => expect(a.map((v) => (Object.is(v, -0) ? 0 : v))).toEqual(b);

describe("the new formats at every rounding point (hand-computed roundings)", () => {
  it("bfloat16: every point of both widths rounds to bfloat16, nearest even, overflow to ±Infinity", () => {
    for (const point of POINTS) same(roundAt(PRECISION_PRESETS.bfloat16, point, BF16_IN), BF16_OUT);
  });

  it("FP8 E4M3 + scale: every propagation point rounds to E4M3 · 2^-4; the stored W and b to bfloat16", () => {
    for (const point of POINTS) {
      const got = roundAt(
        PRECISION_PRESETS.fp8e4m3,
        point,
        ROUNDING_POINTS[point].width === "update" ? BF16_IN : E4M3_IN,
      );
      same(got, ROUNDING_POINTS[point].width === "update" ? BF16_OUT : E4M3_OUT);
    }
  });

  it("FP8 E5M2 + scale: saturating in the preset, ±Infinity with floatOverflow infinity", () => {
    const ieee: PrecisionSpec = { ...PRECISION_PRESETS.fp8e5m2, floatOverflow: "infinity" };
    for (const point of POINTS) {
      if (ROUNDING_POINTS[point].width === "update") {
        same(roundAt(PRECISION_PRESETS.fp8e5m2, point, BF16_IN), BF16_OUT);
        continue;
      }
      same(roundAt(PRECISION_PRESETS.fp8e5m2, point, E5M2_IN), E5M2_SAT);
      same(roundAt(ieee, point, E5M2_IN), E5M2_INF);
    }
  });

  it("E4M3 without a scale is the plain format (max 448); updateFormat float32 leaves W and b unrounded", () => {
    const plain: PrecisionSpec = {
      ...PRECISION_PRESETS.fp8e4m3,
      groupScale: false,
      updateFormat: "float32",
      updateBits: 32,
    };
    same(roundAt(plain, "weightedSum", [0.1, 27, 500, 2 ** -9, 2 ** -10]), [0.1015625, 28, 448, 2 ** -9, 0]);
    expect(new LayerPrecision(plain, 0, 1).at("storedWeights")).toBeUndefined();
  });

  it("the overflow counts of a scaled group: |q| ≥ max · 2^s and |q| ≥ max · 2^s / 2, after rounding", () => {
    const q = new LayerPrecision(PRECISION_PRESETS.fp8e4m3, 0, 1).at("weightedSum")!;
    // 27 → 28, 28, 29 → 28 (saturated) reach max = 28; 14 and 13.9 → 14 reach max / 2
    kernels.quantize({ x: Float32Array.of(27, 28, 29, 14, 13.9, 13, 0.5), ...q });
    expect(q.stats).toMatchObject({ count: 7, overflow: 3, overflowHalfRange: 5, nan: 0, amax: 29 });
  });

  it("the scaled grid is E4M3's times 2^s exactly, at any integer bits", () => {
    const f = resolveGroup(PRECISION_PRESETS.fp8e4m3, 0, "z").propagation!;
    if (f.kind !== "float") throw new Error("expected a float format");
    for (const ib of [-64, -20, 0, 5, 9, 30, 64]) {
      const g = scaledFloat(f, ib);
      const x = Float32Array.of(448, 500, 1.6, 2 ** -9, 2 ** -10);
      const scaled = x.map((v) => v * 2 ** (ib - 9));
      kernels.quantize({ x, format: f });
      kernels.quantize({ x: scaled, format: g });
      expect([...scaled]).toEqual([...x].map((v) => v * 2 ** (ib - 9)));
    }
  });
});

/** One recorded training step (as test/rounding-points.test.ts does). */
function recordStep(spec: PrecisionSpec): RoundingEvent[] {
  const config = toyConfig(denseNet, spec);
  const net = new Network(config, kernels, 20);
  net.init();
  const events: RoundingEvent[] = [];
  for (const l of net.layers) l.precision.recorder = (e) => events.push(e);
  const d = toyData(20, denseNet.input, 4, 7);
  net.trainStep(d.images, Int32Array.from(d.labels), 20, 0.05, 0.5);
  return events;
}
const rows = (e: RoundingEvent[]) => e.map((x) => [x.layer, x.group, x.width]);

describe("a training step rounds at the points of METHOD.md §3 with the new formats", () => {
  const dfxpRows = rows(recordStep(PRECISION_PRESETS.dfxp));

  it("bfloat16: the same points as dynamic fixed point, bfloat16 at both widths", () => {
    const events = recordStep(PRECISION_PRESETS.bfloat16);
    expect(rows(events)).toEqual(dfxpRows);
    for (const e of events) expect([e.format, e.integerBits]).toEqual(["bfloat16", undefined]);
  });

  it("FP8 + scale: the same points; Q_p is the scaled FP8 format, Q_u bfloat16", () => {
    for (const [spec, name] of [
      [PRECISION_PRESETS.fp8e4m3, "fp8e4m3x2^-4"],
      [PRECISION_PRESETS.fp8e5m2, "fp8e5m2-satx2^-11"],
    ] as const) {
      const events = recordStep(spec);
      expect(rows(events)).toEqual(dfxpRows);
      for (const e of events)
        expect([e.format, e.integerBits]).toEqual(e.width === "update" ? ["bfloat16", undefined] : [name, 5]);
    }
  });

  it("each group's scale is observed once per step; w and b on Ŵ, b̂ when the stored values have no scale", () => {
    const events = recordStep(PRECISION_PRESETS.fp8e4m3);
    for (const layer of [0, 1, 2]) {
      const observed = events.filter((e) => e.layer === layer && e.observed);
      expect(observed.map((e) => e.group).sort()).toEqual(GROUP_LIST);
      for (const e of observed) expect(e.width).toBe("propagation");
      expect(observed.filter((e) => e.group === "w").map((e) => e.point)).toEqual(["weightsForMultiply"]);
    }
    // a scaled update format shares the group's scale and is observed on the stored values, as in the paper
    const e4u: PrecisionSpec = { ...PRECISION_PRESETS.fp8e4m3, updateFormat: "binary16" };
    const stored = recordStep(e4u).filter((e) => e.layer === 0 && e.observed && e.group === "w");
    expect(stored.map((e) => [e.point, e.format])).toEqual([["storedWeightsAfterMaxNorm", "binary16x2^-11"]]);
  });
});
const GROUP_LIST = ["b", "dEdb", "dEdw", "dEdy", "dEdz", "update_b", "update_w", "w", "y", "z"];

describe("the per-group scale of a float group moves under the overflow-rate rule", () => {
  const spec: PrecisionSpec = {
    ...PRECISION_PRESETS.fp8e4m3,
    scaling: { kind: "overflow-rate", maxRate: 0.01, everyExamples: 300 },
  };
  /** One step whose z pass rounds `values` for real; returns the format name of the pass. */
  function step(p: LayerPrecision, values: number[]): string {
    const q = p.at("weightedSum")!;
    kernels.quantize({ x: Float32Array.from(values), ...q });
    p.endStep(100);
    // the window of 300 examples, as the network counts it
    if (++steps % 3 === 0) p.closeScaleWindow();
    return q.format.name;
  }
  let steps = 0;
  // 100 values: `big` of them at 40 (beyond max = 28 at 5 integer bits), the rest at `small`
  const pass = (big: number, small: number) => [
    ...Array<number>(big).fill(40),
    ...Array<number>(100 - big).fill(small),
  ];

  it("one bit up after a window with overflow rate > maxRate, down when the half range is quiet", () => {
    steps = 0;
    const p = new LayerPrecision(spec, 0, 1);
    expect([step(p, pass(5, 1)), step(p, pass(0, 1)), step(p, pass(0, 1))]).toEqual(Array(3).fill("fp8e4m3x2^-4"));
    expect(p.integerBits("z")).toBe(6); // rate 5/300 > 0.01
    // 6 integer bits: max 56; 40 does not overflow, but reaches max / 2 = 28 on 5 % > 1 % of the values → keep
    for (let i = 0; i < 3; i++) expect(step(p, pass(5, 1))).toBe("fp8e4m3x2^-3");
    expect(p.integerBits("z")).toBe(6);
    // only small values: half-range rate 0 → one bit down per window
    for (let i = 0; i < 6; i++) step(p, pass(0, 1));
    expect(p.integerBits("z")).toBe(4);
    expect(p.at("weightedSum")!.format.name).toBe("fp8e4m3x2^-5");
    expect(p.integerBits("dEdw")).toBe(5); // never observed
  });

  it("w follows its multiplier copies Ŵ when W is stored in bfloat16", () => {
    const p = new LayerPrecision(spec, 0, 1);
    for (let i = 0; i < 3; i++) {
      const q = p.at("weightsForMultiply")!;
      kernels.quantize({ x: Float32Array.from(pass(50, 1)), y: new Float32Array(100), ...q });
      p.at("storedWeights"); // bfloat16, not observed
      p.endStep(100);
    }
    p.closeScaleWindow();
    expect(p.integerBits("w")).toBe(6);
  });

  it("delayed amax works the same: integerBits = ⌊log₂ amax⌋ + 1 + margin", () => {
    const p = new LayerPrecision({ ...spec, scaling: { kind: "delayed-amax", history: 2, margin: 0 } }, 0, 1);
    step(p, [3, -0.5]);
    expect(p.integerBits("z")).toBe(2);
    expect(p.at("weightedSum")!.format.name).toBe("fp8e4m3x2^-7");
  });

  it("in a training run the scales leave their initial 5 bits, and a checkpoint keeps them", () => {
    const out = new MemoryOutput();
    const c = toyConfig(denseNet, PRECISION_PRESETS.fp8e4m3, { hyper: { epochs: 2 } });
    const r = train(c, toySplits(denseNet.input), out, { kernels });
    const rows = [...out.scales.values()].flat().filter((x) => x.layer === 0 && x.group === "update_w");
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.at(-1)!.integerBits).toBeLessThan(5);
    expect(r.network.layers[0]!.precision.integerBits("update_w")).toBe(rows.at(-1)!.integerBits);
  });
});

/** A small problem that a float32 network learns in a few epochs. */
const wideNet: NetworkSpec = {
  input: [1, 6, 6],
  layers: [
    { kind: "maxout-dense", units: 16, pieces: 2, keepProb: 1, testScale: 1, maxNorm: 1.9365, lrScale: 1 },
    { kind: "softmax", classes: 4, keepProb: 1, testScale: 1, maxNorm: 1.9365, lrScale: 1 },
  ],
};

describe("training on synthetic data learns", () => {
  for (const name of ["bfloat16", "fp8e4m3", "fp8e5m2"] as const) {
    it(`${name}: from chance to under 10 % test error in 3 epochs`, () => {
      const c = toyConfig(wideNet, PRECISION_PRESETS[name], { hyper: { epochs: 3 } });
      const r = train(c, toySplits(wideNet.input, 4, [400, 100, 100]), new MemoryOutput(), { kernels });
      expect(r.history[0]!.testError).toBeGreaterThan(50); // epoch 0: the untrained network
      expect(r.bestTestError).toBeLessThan(10);
      expect(r.history.every((m) => m.epoch === 0 || Number.isFinite(m.loss))).toBe(true);
    });
  }
});

describe("E5M2's IEEE overflow under the overflow-rate rule", () => {
  it("the first overflow is ±Infinity and ends the run: why the fp8e5m2 preset converts in saturation mode", () => {
    const ieee: PrecisionSpec = { ...PRECISION_PRESETS.fp8e5m2, floatOverflow: "infinity" };
    expect(() =>
      train(toyConfig(denseNet, ieee, { hyper: { epochs: 6 } }), toySplits(denseNet.input), new MemoryOutput(), {
        kernels,
      }),
    ).toThrow(DivergenceError);
    const sat = train(
      toyConfig(denseNet, PRECISION_PRESETS.fp8e5m2, { hyper: { epochs: 6 } }),
      toySplits(denseNet.input),
      new MemoryOutput(),
      { kernels },
    );
    expect(sat.completed).toBe(true);
  });
});

describe("invalid combinations are ConfigErrors naming the field", () => {
  const bad = (spec: Partial<PrecisionSpec>, field: RegExp, base: PrecisionSpec = PRECISION_PRESETS.fp8e4m3) => {
    let err: unknown;
    try {
      resolveConfig("pi-mnist", base, { precision: spec });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(field);
  };
  it("formats, scales, update formats, widths, overflow, calibration", () => {
    bad({ format: "fp8" as never }, /precision\.format: expected "float32", .*"fp8e5m2", .*"mxint", got "fp8"/);
    bad(
      { groupScale: true },
      /precision\.groupScale: expected false with format "bfloat16"/,
      PRECISION_PRESETS.bfloat16,
    );
    bad(
      { groupScale: true },
      /precision\.groupScale: expected false with format "dynamic-fixed"/,
      PRECISION_PRESETS.dfxp,
    );
    bad({ groupScale: "yes" as never }, /precision\.groupScale: expected true or false/);
    bad({ updateFormat: "bfloat16" }, /precision\.updateFormat: expected no updateFormat with format "dynamic-fixed"/, {
      ...PRECISION_PRESETS.dfxp,
    });
    bad({ updateFormat: "fp16" as never }, /precision\.updateFormat: expected "float32", "binary16"/);
    bad(
      { updateFormat: "fp8e5m2", updateBits: 8 },
      /precision\.updateFormat: .*at least the 4 exponent and 3 mantissa/,
    );
    bad(
      { updateFormat: "float32" },
      /precision\.updateBits: expected 32 \(the width of float32, the update format\), got 16/,
    );
    bad({ propagationBits: 10 }, /precision\.propagationBits: expected 8 \(the width of fp8e4m3\), got 10/);
    bad({ floatOverflow: "infinity" }, /precision\.floatOverflow: expected "saturate" \(E4M3 has no infinities\)/);
    bad({ floatOverflow: "saturate" }, /precision\.floatOverflow: expected no floatOverflow with format "fixed"/, {
      ...PRECISION_PRESETS.fixed,
    });
    bad({ calibrationEpochs: 2 }, /precision\.calibrationEpochs: expected 0 with format "fp8e4m3"/);
    bad({ integerBits: 65 }, /precision\.integerBits: expected an integer in \[-64, 64\]/);
    bad({ scaling: { kind: "overflow-rate", maxRate: 2, everyExamples: 10 } }, /precision\.scaling\.maxRate/);
    bad({ overrides: [{ group: "w", groupScale: true }] }, /precision\.overrides\[0\]\.groupScale/, {
      ...PRECISION_PRESETS.bfloat16,
    });
  });
  it("the presets and sensible variants resolve", () => {
    for (const p of ["bfloat16", "fp8e4m3", "fp8e5m2"] as const)
      expect(() => resolveConfig("cifar10", p)).not.toThrow();
    const ok = (spec: Partial<PrecisionSpec>) => resolveConfig("pi-mnist", "fp8e4m3", { precision: spec });
    expect(ok({ updateFormat: "float32", updateBits: 32 }).precision.updateFormat).toBe("float32");
    expect(ok({ scaling: { kind: "delayed-amax", history: 16, margin: 1 } }).precision.groupScale).toBe(true);
    expect(ok({ overrides: [{ group: "dEdw", format: "fp8e5m2" }] }).precision.overrides).toHaveLength(1);
    // half with a per-group scale and bfloat16 updates is allowed too (binary16 has no width check, as before)
    expect(() => resolveConfig("pi-mnist", "half", { precision: { groupScale: true } })).not.toThrow();
  });
});

function bits(r: TrainResult): Uint32Array[] {
  return r.network.layers.flatMap((l) =>
    [l.params.w, l.params.b, l.params.vw, l.params.vb].map((a) => new Uint32Array(a.slice().buffer)),
  );
}

const backends: ["ts" | "native", boolean][] = [
  ["ts", true],
  ["native", nativeAvailable().available],
];

describe("determinism: same seed, same bits, on both backends", () => {
  for (const [name, available] of backends) {
    it.skipIf(!available)(`${name}: two FP8 E4M3 runs (stochastic rounding) are identical; resume = whole run`, () => {
      const k = getBackend(name);
      const c = toyConfig(denseNet, PRECISION_PRESETS.fp8e4m3, {
        hyper: { epochs: 3 },
        precision: { rounding: "stochastic" },
      });
      const a = train(c, toySplits(denseNet.input), new MemoryOutput(), { kernels: k });
      const b = train(c, toySplits(denseNet.input), new MemoryOutput(), { kernels: k });
      expect(bits(a)).toEqual(bits(b));
      const out = new MemoryOutput();
      train(c, toySplits(denseNet.input), out, { kernels: k, stopAfterEpoch: 1 });
      const resumed = train(c, toySplits(denseNet.input), out, { kernels: k, resume: true });
      expect(bits(resumed)).toEqual(bits(a));
      expect(resumed.network.layers[1]!.precision.toJSON()).toEqual(a.network.layers[1]!.precision.toJSON());
    });
  }

  it.skipIf(!nativeAvailable().available)(
    "the native quantize of the scaled formats equals the TS one bit for bit",
    () => {
      const ts = getBackend("ts"),
        native = getBackend("native");
      const values: number[] = [0, -0, Infinity, -Infinity, NaN, 1e-45, 3.4e38];
      let s = 12345;
      for (let i = 0; i < 2000; i++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        values.push((s / 2 ** 32 - 0.5) * 2 ** ((i % 60) - 40));
      }
      const specs: PrecisionSpec[] = [
        PRECISION_PRESETS.fp8e4m3,
        PRECISION_PRESETS.fp8e5m2,
        { ...PRECISION_PRESETS.fp8e5m2, floatOverflow: "infinity" },
        PRECISION_PRESETS.bfloat16,
      ];
      for (const spec of specs)
        for (const integerBits of [-30, -3, 5, 20])
          for (const rounding of ["nearest-even", "nearest-away", "toward-zero", "stochastic"] as const) {
            const sp = { ...spec, integerBits, rounding };
            const a = roundAt(sp, "weightGradient", values, ts),
              b = roundAt(sp, "weightGradient", values, native);
            expect(new Uint32Array(Float32Array.from(b).buffer)).toEqual(new Uint32Array(Float32Array.from(a).buffer));
          }
    },
  );
});

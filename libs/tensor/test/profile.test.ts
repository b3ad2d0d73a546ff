/** The per-kernel profile: LOWPREC_PROFILE=1 wraps the backend; the wrapper counts, times and passes through. */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  emptyKernelProfile,
  KERNEL_NAMES,
  profileBackend,
  TsBackend,
  type Backend,
  type KernelProfile,
} from "../src/index.js";
import { fixed } from "@lowprec/formats";

const fresh = async () => {
  vi.resetModules();
  return import("../src/index.js");
};

describe("profileBackend", () => {
  it("counts every call of each kernel and only of that kernel", () => {
    const into = emptyKernelProfile();
    const be = profileBackend(TsBackend, into);
    const x = Float32Array.of(1, 2, 3),
      y = new Float32Array(3);
    for (let i = 0; i < 3; i++) be.scale({ alpha: 2, x, y });
    be.add({ a: x, b: x, y });
    expect(into.scale.calls).toBe(3);
    expect(into.add.calls).toBe(1);
    expect(into.gemm.calls).toBe(0);
    expect(into.scale.ms).toBeGreaterThanOrEqual(0);
    const others = KERNEL_NAMES.filter((k) => k !== "scale" && k !== "add");
    for (const k of others) expect(into[k]).toEqual({ calls: 0, ms: 0 });
  });

  it("passes arguments and results through unchanged (outputs, stats, softmax result)", () => {
    const be = profileBackend(TsBackend, emptyKernelProfile());
    const a = Float32Array.of(1, 2, 3, 4),
      b = Float32Array.of(5, 6, 7, 8);
    const c1 = new Float32Array(4),
      c2 = new Float32Array(4);
    TsBackend.gemm({ m: 2, n: 2, k: 2, a, b, c: c1 });
    be.gemm({ m: 2, n: 2, k: 2, a, b, c: c2 });
    expect(Array.from(c2)).toEqual(Array.from(c1));
    expect(Array.from(c2)).toEqual([19, 22, 43, 50]);
    const format = fixed({ bits: 4, integerBits: 2 });
    const q = be.quantize({ x: Float32Array.of(0.3, 100, -0.76), format });
    expect(q).toEqual(TsBackend.quantize({ x: Float32Array.of(0.3, 100, -0.76), format }));
    expect(q.overflow).toBeGreaterThan(0);
    const args = {
      batch: 2,
      classes: 3,
      logits: Float32Array.of(1, 2, 3, 3, 2, 1),
      labels: Int32Array.of(2, 1),
    };
    const p1 = new Float32Array(6),
      p2 = new Float32Array(6);
    const r1 = TsBackend.softmaxCrossEntropyForward({ ...args, probs: p1 });
    const r2 = be.softmaxCrossEntropyForward({ ...args, probs: p2 });
    expect(r2).toEqual(r1);
    expect(r2.errors).toBe(1);
    expect(Array.from(p2)).toEqual(Array.from(p1));
    expect(be.info).toBe(TsBackend.info);
  });

  it("a throwing kernel still throws through the wrapper, and the call is counted", () => {
    const into = emptyKernelProfile();
    const be = profileBackend(TsBackend, into);
    expect(() => be.add({ a: new Float32Array(2), b: new Float32Array(3), y: new Float32Array(2) })).toThrow(
      RangeError,
    );
    expect(into.add.calls).toBe(1);
  });

  it("accumulates the time the kernel takes", () => {
    const into: KernelProfile = emptyKernelProfile();
    const slow: Backend = {
      ...TsBackend,
      scale(args) {
        const until = performance.now() + 20;
        while (performance.now() < until);
        return TsBackend.scale(args);
      },
    };
    const be = profileBackend(slow, into);
    be.scale({ alpha: 1, x: new Float32Array(1), y: new Float32Array(1) });
    be.scale({ alpha: 1, x: new Float32Array(1), y: new Float32Array(1) });
    expect(into.scale.calls).toBe(2);
    expect(into.scale.ms).toBeGreaterThanOrEqual(39);
    expect(into.scale.ms).toBeLessThan(1000);
  });
});

describe("LOWPREC_PROFILE and getBackend", () => {
  afterEach(() => {
    delete process.env["LOWPREC_PROFILE"];
    delete process.env["LOWPREC_BACKEND"];
  });

  it("off: getBackend() returns the raw backend object itself", async () => {
    process.env["LOWPREC_BACKEND"] = "ts";
    const t = await fresh();
    expect(t.profilingEnabled()).toBe(false);
    expect(t.getBackend()).toBe(t.TsBackend);
    expect(t.getBackend("ts")).toBe(t.TsBackend);
    process.env["LOWPREC_PROFILE"] = "0";
    expect(t.getBackend()).toBe(t.TsBackend);
  });

  it("on: getBackend() hands out one cached timed wrapper that fills the process-wide table", async () => {
    process.env["LOWPREC_BACKEND"] = "ts";
    process.env["LOWPREC_PROFILE"] = "1";
    const t = await fresh();
    const be = t.getBackend();
    expect(be).not.toBe(t.TsBackend);
    expect(t.getBackend()).toBe(be);
    expect(t.backendInfo()).toEqual(t.TsBackend.info);
    t.resetKernelProfile();
    const y = new Float32Array(4);
    be.axpby({ alpha: 1, x: Float32Array.of(1, 2, 3, 4), beta: 0, y });
    be.axpby({ alpha: 1, x: Float32Array.of(1, 2, 3, 4), beta: 1, y });
    expect(Array.from(y)).toEqual([2, 4, 6, 8]);
    const p = t.kernelProfile();
    expect(p.axpby.calls).toBe(2);
    expect(p.quantize.calls).toBe(0);
    // a copy: later calls do not change it
    be.axpby({ alpha: 1, x: y, beta: 0, y });
    expect(p.axpby.calls).toBe(2);
    expect(t.kernelProfile().axpby.calls).toBe(3);
    t.resetKernelProfile();
    expect(t.kernelProfile().axpby).toEqual({ calls: 0, ms: 0 });
    // switched off again: the raw object
    delete process.env["LOWPREC_PROFILE"];
    expect(t.getBackend()).toBe(t.TsBackend);
  });
});

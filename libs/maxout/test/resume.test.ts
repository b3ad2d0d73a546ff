/**
 * What a run refuses before it writes anything: a resume that does not fit (another configuration, a corrupt
 * checkpoint, a checkpoint beyond the configured epochs) and splits that give no batch.
 */
import { describe, expect, it } from "vitest";
import {
  CheckpointError,
  MemoryOutput,
  train,
  type EpochMetrics,
  type TrainConfig,
  type TrainResult,
} from "../src/index.js";
import type { Splits } from "../src/trainer.js";
import { denseNet, kernels, toyConfig, toyData, toySplits } from "./helpers.js";

/** A MemoryOutput that records the order of the calls made on it. */
class RecordingOutput extends MemoryOutput {
  calls: string[] = [];
  override writeConfig(config: TrainConfig, environment: Record<string, unknown>): void {
    this.calls.push("writeConfig");
    super.writeConfig(config, environment);
  }
  override writeMetrics(history: readonly EpochMetrics[]): void {
    this.calls.push("writeMetrics");
    super.writeMetrics(history);
  }
  override writeCheckpoint(bytes: Uint8Array): void {
    this.calls.push("writeCheckpoint");
    super.writeCheckpoint(bytes);
  }
  override readCheckpoint(): Uint8Array | undefined {
    this.calls.push("readCheckpoint");
    return super.readCheckpoint();
  }
}

/** An output holding the checkpoint of a finished `epochs`-epoch fp32 run, with its call log cleared. */
function finishedRun(epochs: number): RecordingOutput {
  const out = new RecordingOutput();
  train(toyConfig(denseNet, "fp32", { hyper: { epochs } }), toySplits(denseNet.input), out, { kernels });
  out.calls = [];
  return out;
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("no error");
}

describe("a rejected resume writes nothing", () => {
  it("another configuration: refused before config.json is written", () => {
    const out = finishedRun(1);
    const config = out.config;
    const c = toyConfig(denseNet, "dfxp", { hyper: { epochs: 2 } });
    expect(() => train(c, toySplits(denseNet.input), out, { kernels, resume: true })).toThrow(/another configuration/);
    expect(out.calls).toEqual(["readCheckpoint"]);
    expect(out.config).toBe(config);
  });

  it("a corrupt checkpoint: the CheckpointError reaches the caller unchanged, nothing written", () => {
    const out = finishedRun(1);
    out.checkpoint![out.checkpoint!.length - 3]! ^= 0x20;
    const c = toyConfig(denseNet, "fp32", { hyper: { epochs: 2 } });
    const e = thrown(() => train(c, toySplits(denseNet.input), out, { kernels, resume: true }));
    expect(e).toBeInstanceOf(CheckpointError);
    expect(e.message).toMatch(/checkpoint is corrupt/);
    expect(out.calls).toEqual(["readCheckpoint"]);
  });

  it("a checkpoint beyond the configured epochs is an error, not a completed run", () => {
    const out = finishedRun(4);
    const c = toyConfig(denseNet, "fp32", { hyper: { epochs: 2 } });
    const e = thrown(() => train(c, toySplits(denseNet.input), out, { kernels, resume: true }));
    expect(e.message).toMatch(/checkpoint is at epoch 4, beyond the 2 epochs configured/);
    expect(out.calls).toEqual(["readCheckpoint"]);
  });

  it("a resume that fits writes the configuration first, then continues", () => {
    const out = finishedRun(1);
    const r = train(toyConfig(denseNet, "fp32", { hyper: { epochs: 2 } }), toySplits(denseNet.input), out, {
      kernels,
      resume: true,
    });
    expect(r.completed).toBe(true);
    expect(out.calls.slice(0, 2)).toEqual(["readCheckpoint", "writeConfig"]);
    expect(out.events.find((e) => e.kind === "resumed")).toEqual({ kind: "resumed", epoch: 1 });
  });
});

describe("splits that give no batch are refused before training", () => {
  const run = (data: Splits, o: Parameters<typeof toyConfig>[2] = {}): { out: RecordingOutput; e: Error } => {
    const out = new RecordingOutput();
    const e = thrown(() => train(toyConfig(denseNet, "fp32", o), data, out, { kernels }));
    return { out, e };
  };
  const splits = (train: number, valid: number, test: number): Splits => ({
    train: toyData(train, denseNet.input, 4, 1),
    valid: toyData(valid, denseNet.input, 4, 2),
    test: toyData(test, denseNet.input, 4, 3),
  });

  it("a validation split smaller than one batch (partial batches dropped)", () => {
    const { out, e } = run(splits(200, 10, 60));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toMatch(/valid split: 10 examples give no batch of 20/);
    expect(out.calls).toEqual([]);
  });

  it("an empty test split", () => {
    expect(run(splits(200, 60, 0)).e.message).toMatch(/test split: 0 examples give no batch of 20/);
  });

  it("a training split of zero batches (batch 100000)", () => {
    const { out, e } = run(toySplits(denseNet.input), { hyper: { batch: 100000 } });
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toMatch(/train split: 200 examples give no batch of 100000/);
    expect(out.calls).toEqual([]);
  });

  it("evalLimit below one batch names the limit", () => {
    expect(run(toySplits(denseNet.input), { evalLimit: 5 }).e.message).toMatch(
      /valid split: 5 examples \(evalLimit 5 of 60\) give no batch of 20/,
    );
  });

  it("trainLimit below one batch names the limit", () => {
    expect(run(toySplits(denseNet.input), { trainLimit: 7 }).e.message).toMatch(
      /train split: 7 examples \(trainLimit 7 of 200\) give no batch of 20/,
    );
  });

  it("with partial batches kept, a split smaller than a batch is evaluated: finite errors", () => {
    const c = toyConfig(denseNet, "fp32", { faithfulness: { dropPartialBatches: false } });
    const r: TrainResult = train(c, splits(200, 10, 7), new MemoryOutput(), { kernels });
    for (const m of r.history) expect([m.validError, m.testError].every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(r.bestTestError)).toBe(true);
  });
});

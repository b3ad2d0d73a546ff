// Experiment files are validated before anything runs (errors name the file and the field), and a variant
// expands to runs whose configurations carry its schedule compression and scale window.
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { NETWORK_PRESETS, type TrainConfig } from "@lowprec/maxout";
import { OutsideRootError } from "@lowprec/storage";
import {
  DefinitionError,
  expandRuns,
  MAX_PLANNED_RUNS,
  plannedRunCount,
  planRuns,
  shrinkScaling,
  experimentNames,
  isDefinitionPath,
  loadExperiment,
  type ExperimentDef,
  UnknownExperimentError,
  validateExperiment,
} from "../src/definitions.js";
import { collectResults } from "../src/results.js";
import { runDir } from "../src/store.js";
import { runSweep } from "../src/sweep.js";

const dir = mkdtempSync(join(tmpdir(), "lowprec-defs-"));
const valid = {
  name: "t",
  title: "t",
  description: "t",
  datasets: ["pi-mnist"],
  baseline: "fp32",
  settings: [
    { name: "fp32", precision: "fp32" },
    { name: "dfxp", precision: "dfxp", propagationBits: [8, 10] },
  ],
  variants: { smoke: { description: "s", epochs: 1, trainLimit: 1000 } },
};
function write(name: string, def: unknown): string {
  const p = join(dir, `${name}.json`);
  writeFileSync(p, JSON.stringify(def));
  return p;
}
const mutate = (f: (d: Record<string, unknown>) => void): Record<string, unknown> => {
  const d = JSON.parse(JSON.stringify(valid)) as Record<string, unknown>;
  f(d);
  return d;
};

describe("experiment files", () => {
  it("the shipped ones load: table2, the four figures and the beyond-the-paper ones", () => {
    expect(experimentNames()).toEqual([
      "formats",
      "overflow-rate",
      "prop-bits",
      "radix-point",
      "rounding",
      "scaling",
      "table2",
      "transformer",
      "update-bits",
    ]);
    for (const n of experimentNames()) expect(loadExperiment(n).name).toBe(n);
  });

  const bad: [string, (d: Record<string, unknown>) => void, RegExp][] = [
    ["unknown dataset", (d) => (d["datasets"] = ["imagenet"]), /datasets\[0\]: unknown dataset "imagenet"/],
    ["missing field", (d) => delete d["title"], /: title: missing/],
    ["unknown field", (d) => (d["epochz"] = 3), /: epochz: unknown field/],
    [
      "unknown precision",
      (d) => ((d["settings"] as Record<string, unknown>[])[1]!["precision"] = "posit"),
      /settings\[1\]\.precision: expected one of fp32, half, fixed, dfxp/,
    ],
    [
      "impossible width",
      (d) => ((d["settings"] as Record<string, unknown>[])[1]!["propagationBits"] = [8, 40]),
      /settings\[1\] \(dfxp\) on pi-mnist: .*propagationBits/,
    ],
    ["unknown variant", (d) => (d["variants"] = { quick: { description: "q" } }), /variants\.quick: unknown variant/],
    [
      "negative epochs",
      (d) => ((d["variants"] as Record<string, Record<string, unknown>>)["smoke"]!["epochs"] = -1),
      /variants\.smoke\.epochs: expected an integer ≥ 0/,
    ],
    ["baseline not a setting", (d) => (d["baseline"] = "fp16"), /baseline: no setting is named "fp16"/],
    // issue 20, item 9: the name is a folder of the result store, and "../../../x/ESCAPED" wrote outside it
    [
      "a path as the name",
      (d) => (d["name"] = "../../../x/ESCAPED"),
      /: name: "\.\.\/\.\.\/\.\.\/x\/ESCAPED" is not a name/,
    ],
    ["an absolute name", (d) => (d["name"] = "/tmp/x"), /: name: "\/tmp\/x" is not a name/],
    [
      "a setting name with a separator",
      (d) => ((d["settings"] as Record<string, unknown>[])[1]!["name"] = "dfxp/x"),
      /settings\[1\]\.name: "dfxp\/x" is not a name/,
    ],
    // issue 20: [12, 12] planned the same run twice, one row of which was a spurious FAILED
    [
      "a swept value listed twice",
      (d) => ((d["settings"] as Record<string, unknown>[])[1]!["propagationBits"] = [12, 10, 12]),
      /settings\[1\]\.propagationBits: 12 is listed twice/,
    ],
    [
      "a restricted value listed twice",
      (d) =>
        ((d["variants"] as Record<string, Record<string, unknown>>)["smoke"]!["values"] = { propagationBits: [8, 8] }),
      /variants\.smoke\.values\.propagationBits: 8 is listed twice/,
    ],
    [
      "more epochs than MAX_EPOCHS",
      (d) => ((d["variants"] as Record<string, Record<string, unknown>>)["smoke"]!["epochs"] = 1e9),
      /variants\.smoke\.epochs: expected at most 100000 epochs, got 1000000000/,
    ],
    [
      "a train limit above the split",
      (d) =>
        ((d["variants"] as Record<string, Record<string, unknown>>)["smoke"]!["trainLimit"] = { "pi-mnist": 60000 }),
      /variants\.smoke\.trainLimit\.pi-mnist: 60000 is more than the 50000 examples of the split it limits/,
    ],
    [
      "an unknown scaling policy",
      (d) => ((d["settings"] as Record<string, unknown>[])[1]!["scaling"] = "autoflex"),
      /settings\[1\]\.scaling: expected one of overflow-rate, delayed-amax, current-amax, predictive, block-scaled/,
    ],
    [
      "an unknown stored-parameter format",
      (d) => ((d["settings"] as Record<string, unknown>[])[1]!["updateFormat"] = "float16"),
      /settings\[1\]\.updateFormat: expected one of float32, binary16, bfloat16, fp8e4m3, fp8e5m2/,
    ],
  ];
  for (const [what, f, message] of bad)
    it(`rejects ${what}, naming the file and the field`, () => {
      const p = write(what.replaceAll(" ", "-"), mutate(f));
      expect(() => loadExperiment(p)).toThrow(DefinitionError);
      expect(() => loadExperiment(p)).toThrow(new RegExp(`^${p.replaceAll(".", "\\.")}: .*`));
      expect(() => loadExperiment(p)).toThrow(message);
    });
  it("each named policy becomes its spec; a policy that is not its preset's is refused at planning", () => {
    const policy = (scaling: string, precision = "dfxp") =>
      expandRuns(
        loadExperiment(
          write(
            `policy-${scaling}-${precision}`,
            mutate((d) => Object.assign((d["settings"] as Record<string, unknown>[])[1]!, { scaling, precision })),
          ),
        ),
        "smoke",
      ).find((r) => r.setting === "dfxp")!.config.precision.scaling;
    expect(policy("current-amax")).toEqual({ kind: "current-amax", margin: 0 });
    expect(policy("predictive")).toEqual({ kind: "predictive", history: 16, deviations: 3, margin: 0 });
    expect(policy("block-scaled", "mxint8")).toEqual({ kind: "block-scaled", block: 32 });
    expect(() => policy("block-scaled")).toThrow(
      /settings\[1\]\.scaling: dfxp starts from dfxp, whose scaling is overflow-rate, not block-scaled/,
    );
  });
  it("updateFormat sets the stored parameters' format; the preset's rules still apply at planning", () => {
    const plan = (extra: Record<string, unknown>) =>
      expandRuns(
        loadExperiment(
          write(
            `update-format-${Object.values(extra).join("-")}`,
            mutate((d) => Object.assign((d["settings"] as Record<string, unknown>[])[1]!, extra)),
          ),
        ),
        "smoke",
      ).filter((r) => r.setting === "dfxp");
    const mx = { precision: "mxint8", scaling: "block-scaled" };
    const bf16 = plan(mx),
      f32 = plan({ ...mx, updateFormat: "float32", updateBits: 32 });
    expect(bf16.map((r) => r.config.precision.updateFormat)).toEqual(["bfloat16", "bfloat16"]);
    expect(f32.map((r) => [r.config.precision.updateFormat, r.config.precision.updateBits])).toEqual([
      ["float32", 32],
      ["float32", 32],
    ]);
    // a different configuration, so a different run
    expect(f32.map((r) => r.runId)).not.toEqual(bf16.map((r) => r.runId));
    // MX: the width must follow the format; fixed point has no stored-parameter format
    expect(() => plan({ ...mx, updateFormat: "float32" })).toThrow(/settings\[1\] \(dfxp\).*updateBits/);
    expect(() => plan({ updateFormat: "bfloat16" })).toThrow(/settings\[1\] \(dfxp\).*updateFormat/);
  });
  it("rejects a file that is not JSON", () => {
    const p = join(dir, "broken.json");
    writeFileSync(p, "{ nope");
    expect(() => loadExperiment(p)).toThrow(/broken\.json: not JSON/);
  });
});

describe("expanding a variant", () => {
  const def = valid as unknown as ExperimentDef;
  it("sweeps array fields and repeats seeds", () => {
    const runs = expandRuns(def, "smoke", { seeds: 2 });
    expect(runs.map((r) => [r.setting, r.point.propagationBits ?? null, r.seed])).toEqual([
      ["fp32", null, 1234],
      ["fp32", null, 1235],
      ["dfxp", 8, 1234],
      ["dfxp", 8, 1235],
      ["dfxp", 10, 1234],
      ["dfxp", 10, 1235],
    ]);
    expect(new Set(runs.map((r) => r.runId)).size).toBe(6);
    expect(expandRuns(def, "smoke", { only: { propagationBits: "10" } }).map((r) => r.setting)).toEqual(["dfxp"]);
  });
  it("plans the variant's own seeds unless the caller gives a count", () => {
    const seeded = { ...def, variants: { smoke: { ...valid.variants.smoke, seeds: 3 } } } as ExperimentDef;
    expect(expandRuns(seeded, "smoke").map((r) => r.seed)).toEqual([
      1234, 1235, 1236, 1234, 1235, 1236, 1234, 1235, 1236,
    ]);
    expect(plannedRunCount(seeded, "smoke")).toBe(9);
    expect(expandRuns(seeded, "smoke", { seeds: 1 }).map((r) => r.seed)).toEqual([1234, 1234, 1234]);
    expect(plannedRunCount(seeded, "smoke", 2)).toBe(6);
    for (const bad of [0, 1.5, 101, "3"])
      expect(() =>
        validateExperiment(
          mutate((d) => ((d.variants as { smoke: Record<string, unknown> }).smoke.seeds = bad)),
          "x.json",
        ),
      ).toThrow(/variants\.smoke\.seeds: expected an integer from 1 to 100/);
  });
  it("the shipped budget variants run 3 seeds, the long knee variants 3 on the whole PI-MNIST set", () => {
    for (const name of experimentNames()) expect(loadExperiment(name).variants.budget?.seeds).toBe(3);
    for (const name of ["prop-bits", "update-bits"]) {
      const runs = expandRuns(loadExperiment(name), "long");
      expect(new Set(runs.map((r) => r.seed))).toEqual(new Set([1234, 1235, 1236]));
      expect(runs.every((r) => r.config.trainLimit === 0 && r.config.hyper.epochs === 20)).toBe(true);
    }
    const conv = expandRuns(loadExperiment("table2"), "budget", { only: { dataset: "mnist-conv" } });
    expect(conv.length).toBe(12);
    expect(conv.every((r) => r.config.trainLimit === 0 && r.config.evalLimit === 0)).toBe(true);
  });
  it("shrinks the scale window with the subset (1,000 of 50,000 examples: 100 batches → 2)", () => {
    const dfxp = expandRuns(def, "smoke").find((r) => r.setting === "dfxp")!;
    expect(dfxp.config.precision.scaling).toEqual({ kind: "overflow-rate", maxRate: 1e-4, everyBatches: 2 });
    const whole = { ...def, variants: { smoke: { description: "s", epochs: 1 } } } as ExperimentDef;
    const full = expandRuns(whole, "smoke").find((r) => r.setting === "dfxp")!;
    expect(full.config.precision.scaling).toEqual({ kind: "overflow-rate", maxRate: 1e-4, everyBatches: 100 });
  });
  it("shrinkScaling keeps the window's unit, rounds, keeps at least 1, and leaves delayed-amax alone", () => {
    const s = (every: { everyBatches: number } | { everyExamples: number }) =>
      ({ kind: "overflow-rate", maxRate: 1e-4, ...every }) as const;
    expect(shrinkScaling(s({ everyBatches: 100 }), "mnist-conv", 5000)).toEqual(s({ everyBatches: 10 }));
    expect(shrinkScaling(s({ everyExamples: 10_000 }), "mnist-conv", 5000)).toEqual(s({ everyExamples: 1000 }));
    expect(shrinkScaling(s({ everyBatches: 100 }), "cifar10", 100)).toEqual(s({ everyBatches: 1 }));
    expect(shrinkScaling(s({ everyBatches: 100 }), "cifar10", 0)).toEqual(s({ everyBatches: 100 }));
    const d = { kind: "delayed-amax", history: 16, margin: 0 } as const;
    expect(shrinkScaling(d, "cifar10", 100)).toBe(d);
  });
  it("compresses the schedules in proportion when asked (PI-MNIST, 100 of 800 epochs: 50 and 25)", () => {
    const v = { description: "b", epochs: 100, compressSchedule: true };
    const c = expandRuns({ ...def, variants: { budget: v } } as ExperimentDef, "budget")[0]!.config as TrainConfig;
    expect(c.hyper.learningRateSaturationEpochs).toBe(50);
    expect(c.hyper.momentumSaturationEpochs).toBe(25);
    const p = NETWORK_PRESETS["pi-mnist"].hyper;
    const plain = expandRuns(
      { ...def, variants: { budget: { ...v, compressSchedule: false } } } as ExperimentDef,
      "budget",
    );
    expect((plain[0]!.config as TrainConfig).hyper.learningRateSaturationEpochs).toBe(p.learningRateSaturationEpochs);
  });
});

describe("bounded plans and paths (issue 20)", () => {
  const def = valid as unknown as ExperimentDef;
  it("refuses a plan of more than MAX_PLANNED_RUNS runs before building one (--seeds 1e9 grew to 3.3 GB)", () => {
    const t0 = performance.now();
    expect(plannedRunCount(def, "smoke", 1e9)).toBe(3e9);
    expect(() => expandRuns(def, "smoke", { seeds: 1e9 })).toThrow(
      /smoke\): 3000000000 runs planned, more than the 100000 a sweep takes/,
    );
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(() => expandRuns(def, "smoke", { seeds: MAX_PLANNED_RUNS / 3 + 1 })).toThrow(RangeError);
  });
  it("plans one run at a time: the first comes before the rest are built", () => {
    const it = planRuns(def, "smoke", { seeds: 2 });
    expect(it.next().value).toMatchObject({ setting: "fp32", seed: 1234 });
    expect([...it].length).toBe(5);
  });
  it("a run folder never leaves the store, even for a name that slipped past validation", () => {
    const root = join(dir, "store");
    expect(runDir(root, { experiment: "t", variant: "smoke", runId: "abc" })).toBe(join(root, "t", "smoke", "abc"));
    expect(() => runDir(root, { experiment: "../../../x/ESCAPED", variant: "smoke", runId: "abc" })).toThrow(
      OutsideRootError,
    );
    expect(() => runDir(root, { experiment: "/abs", variant: "smoke", runId: "../../../.." })).toThrow(
      /outside .*store, where it must be/,
    );
  });
});

describe("a user's own definition file (issue 23)", () => {
  const example = new URL("../examples/my-experiment.json", import.meta.url).pathname;

  it('an argument with a "/" or ending in .json is a path; a plain word is a shipped name', () => {
    for (const a of ["./mine.json", "mine.json", "defs/mine", "/abs/mine.json"])
      expect(isDefinitionPath(a), a).toBe(true);
    for (const a of ["table2", "prop-bits", "mine"]) expect(isDefinitionPath(a), a).toBe(false);
  });

  it("the example validates as the shipped ones do: 2 settings × 1 seed × 1 epoch on a PI-MNIST subset", () => {
    const def = loadExperiment(example);
    expect(def.name).toBe("my-experiment");
    const runs = expandRuns(def, "smoke");
    expect(runs.map((r) => [r.dataset, r.setting, r.seed, r.config.hyper.epochs])).toEqual([
      ["pi-mnist", "fp32", 1234, 1],
      ["pi-mnist", "dfxp", 1234, 1],
    ]);
    expect(runs.every((r) => r.config.trainLimit > 0 && r.config.trainLimit < 50_000)).toBe(true);
    // a relative path, from the working directory
    expect(loadExperiment(relative(process.cwd(), example)).name).toBe("my-experiment");
  });

  it("a missing file names the path; an unknown name lists the known ones", () => {
    const missing = join(dir, "nowhere", "mine.json");
    expect(() => loadExperiment(missing)).toThrow(new DefinitionError(`${missing}: no such definition file`));
    expect(() => loadExperiment("defs/mine")).toThrow("defs/mine: no such definition file");
    expect(() => loadExperiment("table3")).toThrow(UnknownExperimentError);
    expect(() => loadExperiment("table3")).toThrow(
      `unknown experiment "table3" (known: ${experimentNames().join(", ")}; or a definition file: a path ending ` +
        "in .json)",
    );
  });

  it("a bad field is one line naming the file and the field", () => {
    const p = write(
      "bad-precision",
      mutate((d) => ((d["settings"] as Record<string, unknown>[])[1]!["precision"] = "dfx")),
    );
    expect(() => loadExperiment(p)).toThrow(
      new RegExp(`^${p.replaceAll(".", "\\.")}: settings\\[1\\]\\.precision: expected one of `),
    );
  });

  it("may not take a shipped experiment's name (its runs would mix with theirs); the shipped file itself loads", () => {
    const p = write(
      "my-table2",
      mutate((d) => (d["name"] = "table2")),
    );
    expect(() => loadExperiment(p)).toThrow(
      `${p}: name: "table2" is a shipped experiment's name (its runs are stored under results/table2/); give yours ` +
        "another",
    );
    const shipped = new URL("../experiments/table2.json", import.meta.url).pathname;
    expect(loadExperiment(shipped).name).toBe("table2");
    // a copy elsewhere is a user's file like any other
    const copy = join(dir, "table2.json");
    copyFileSync(shipped, copy);
    expect(() => loadExperiment(copy)).toThrow(/name: "table2" is a shipped experiment's name/);
  });

  it("the example's runs train and are stored under its own name", async () => {
    const dataDir = join(dir, "example-store");
    const def = loadExperiment(example);
    const lines: string[] = [];
    const report = await runSweep({ experiment: def, variant: "smoke", dataDir, jobs: 2, log: (l) => lines.push(l) });
    expect(report.failed, lines.join("\n")).toEqual([]);
    expect(report.ran).toBe(2);
    const rows = collectResults(def, "smoke", dataDir);
    expect(rows.map((r) => [r.setting, r.status])).toEqual([
      ["fp32", "done"],
      ["dfxp", "done"],
    ]);
    for (const run of expandRuns(def, "smoke"))
      expect(runDir(join(dataDir, "results"), run)).toBe(join(dataDir, "results", "my-experiment", "smoke", run.runId));
  }, 300_000);
});

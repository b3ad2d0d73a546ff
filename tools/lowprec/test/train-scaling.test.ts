// `lowprec train --scaling`: each kind becomes the precision's scaling spec, with the documented defaults.
import { describe, expect, it } from "vitest";
import { parseCommandArgs, type Args } from "../src/command.js";
import { command, configFromArgs } from "../src/commands/train.js";

const parse = (argv: string[]): Args => {
  const a = parseCommandArgs(command, argv);
  if (a === "help") throw new Error("help");
  return a;
};
const scalingOf = (kind: string) =>
  configFromArgs(parse(["--precision", "dfxp", "--scaling", kind]), "pi-mnist", "dfxp").precision.scaling;

describe("lowprec train --scaling", () => {
  it("current-amax and predictive take their defaults; the paper's presets keep the overflow-rate rule", () => {
    expect(scalingOf("current-amax")).toEqual({ kind: "current-amax", margin: 0 });
    expect(scalingOf("predictive")).toEqual({ kind: "predictive", history: 16, deviations: 3, margin: 0 });
    expect(scalingOf("delayed-amax")).toEqual({ kind: "delayed-amax", history: 16, margin: 0 });
    expect(configFromArgs(parse(["--precision", "dfxp"]), "pi-mnist", "dfxp").precision.scaling).toEqual({
      kind: "overflow-rate",
      maxRate: 1e-4,
      everyBatches: 100,
    });
  });

  it("an unknown kind is refused in one line naming the option and the choices", () => {
    expect(() => scalingOf("autoflex")).toThrow(/--scaling.*autoflex/);
    expect(() => scalingOf("autoflex")).toThrow(/current-amax/);
    expect(() => scalingOf("autoflex")).not.toThrow(/\n/);
  });
});

describe("lowprec train with the MX settings", () => {
  const cfg = (precision: string, rest: string[] = []) =>
    configFromArgs(parse(["--precision", precision, ...rest]), "pi-mnist", precision).precision;

  it("block-scaled products in blocks of 32, or --block K; mxint8's element width from --prop-bits", () => {
    expect(cfg("mxfp8")).toMatchObject({
      format: "mxfp8e4m3",
      scaling: { kind: "block-scaled", block: 32 },
      updateFormat: "bfloat16",
      overrides: [{ group: "dEdz", format: "mxfp8e5m2" }],
    });
    expect(cfg("mxfp4", ["--block", "16"]).scaling).toEqual({ kind: "block-scaled", block: 16 });
    expect(cfg("mxint8", ["--prop-bits", "12"])).toMatchObject({ format: "mxint", propagationBits: 12 });
  });

  it("options the MX settings would ignore, and --block elsewhere, are refused in one line", () => {
    for (const [precision, flag, value] of [
      ["mxfp8", "--prop-bits", "10"],
      ["mxfp6", "--scaling", "predictive"],
      ["mxint8", "--update-bits", "12"],
      ["mxfp4", "--calibration-epochs", "2"],
    ] as const) {
      expect(() => cfg(precision, [flag, value])).toThrow(new RegExp(`${flag}.*scales every block`));
      expect(() => cfg(precision, [flag, value])).not.toThrow(/\n/);
    }
    expect(() => cfg("dfxp", ["--block", "32"])).toThrow(/--block is for the MX settings/);
    expect(() => cfg("mxfp8", ["--block", "0"])).toThrow(/--block/);
  });
});

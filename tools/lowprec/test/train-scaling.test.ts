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

/**
 * `lowprec cost`: the hardware cost table (@lowprec/hwcost) for the paper's networks under its five
 * precision settings, or the calibration of the cost model against its reference data.
 */
import {
  calibration,
  compareSettings,
  formatCalibration,
  formatCostRows,
  loadHorowitz45nm,
  loadNetworks,
  PAPER_SETTINGS,
  TABLE_FORMATS,
  type TableFormat,
} from "@lowprec/hwcost";
import { flagString, parseArgs, UsageError, type Command } from "../command.js";

const NETWORK_IDS = (): string[] => loadNetworks().networks.map((n) => n.id);
const MEMORY_LEVELS = (): string[] => loadHorowitz45nm().memory.map((m) => m.level);

const usage = `usage: lowprec cost [--network <id>|all] [--format table|csv|json] [--memory <level>] [--memory-bound low|high] [--fit]

Prints what a training step and an epoch cost in hardware for the paper's networks under its five
precision settings (Goodfellow fp32, single 32/32, half 16/16, fixed point 20/20, dynamic fixed point
10/12): MACs per example, energy and area of one MAC (45 nm ASIC: pJ, µm²; Stratix V FPGA: ALMs, DSP
blocks), storage, energy per step and per epoch. Model and limits: libs/hwcost/README.md.

options:
  --network <id>       pi-mnist, mnist-conv, cifar10, svhn, or all (default all)
  --format <f>         table (default), csv or json
  --memory <level>     memory level that prices the traffic: sram-8KB, sram-32KB, sram-1MB (default), dram
  --memory-bound <b>   for a level quoted as a range (dram: 1.3-2.6 nJ per 64 bits): low (default) or high
  --fit                print the calibration instead: every reference row beside the model, with residuals`;

export const command: Command = {
  name: "cost",
  summary: "hardware cost (energy, area, memory) of the paper's networks under its precision settings",
  usage,
  async run(argv) {
    const args = parseArgs(argv, ["fit"], ["network", "format", "memory", "memory-bound"]);
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const format = flagString(args, "format", "table")!;
    if (!(TABLE_FORMATS as readonly string[]).includes(format))
      throw new UsageError(`option --format: expected one of ${TABLE_FORMATS.join(", ")}, got "${format}"`);
    if (args.flags.has("fit")) {
      const c = calibration();
      console.log(
        format === "json" ? JSON.stringify(c.fits, null, 2) : format === "csv" ? fitCsv(c.fits) : formatCalibration(c),
      );
      return 0;
    }
    const network = flagString(args, "network", "all")!;
    const ids = NETWORK_IDS();
    if (network !== "all" && !ids.includes(network))
      throw new UsageError(`option --network: expected one of ${ids.join(", ")} or all, got "${network}"`);
    const memory = flagString(args, "memory", "sram-1MB")!;
    if (!MEMORY_LEVELS().includes(memory))
      throw new UsageError(`option --memory: expected one of ${MEMORY_LEVELS().join(", ")}, got "${memory}"`);
    const bound = flagString(args, "memory-bound", "low")!;
    if (bound !== "low" && bound !== "high")
      throw new UsageError(`option --memory-bound: expected low or high, got "${bound}"`);
    const networks = loadNetworks()
      .networks.filter((n) => network === "all" || n.id === network)
      .map((n) => ({ id: n.id, shape: n }));
    const rows = compareSettings(networks, PAPER_SETTINGS, { memory, memoryBound: bound });
    console.log(formatCostRows(rows, format as TableFormat));
    return 0;
  },
};

function fitCsv(fits: ReturnType<typeof calibration>["fits"]): string {
  const lines = ["fit,quantity,row,measured,modelled,relativeError"];
  for (const [name, f] of Object.entries(fits))
    for (const r of f.rows)
      lines.push([name, f.quantity, JSON.stringify(r.label), r.measured, r.modelled, r.relativeError].join(","));
  return lines.join("\n");
}

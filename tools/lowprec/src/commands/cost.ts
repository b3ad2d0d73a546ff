/**
 * `lowprec cost`: the hardware cost table (@lowprec/hwcost) for the paper's networks under its five
 * precision settings, or the calibration of the cost model against its reference data.
 */
import {
  calibration,
  compareSettings,
  formatCalibration,
  formatFitsCsv,
  formatCostRows,
  loadHorowitz45nm,
  loadNetworks,
  PAPER_SETTINGS,
  TABLE_FORMATS,
  type TableFormat,
} from "@lowprec/hwcost";
import type { Command } from "../command.js";

const NETWORK_IDS = (): string[] => loadNetworks().networks.map((n) => n.id);
const MEMORY_LEVELS = (): string[] => loadHorowitz45nm().memory.map((m) => m.level);

export const command: Command = {
  name: "cost",
  summary: "hardware cost (energy, area, memory) of the paper's networks under its precision settings",
  synopsis: "[--network ID|all] [--format table|csv|json] [--memory LEVEL] [--memory-bound low|high] [--fit]",
  description:
    "Prints what a training step and an epoch cost in hardware for the paper's networks under its five\n" +
    "precision settings (Goodfellow fp32, single 32/32, half 16/16, fixed point 20/20, dynamic fixed point\n" +
    "10/12): MACs per example, energy and area of one MAC (45 nm ASIC: pJ, µm²; Stratix V FPGA: ALMs, DSP\n" +
    "blocks), storage, energy per step and per epoch. The FPGA columns quote the paper's Table 1 where it\n" +
    'measured the MAC (same format kind and widths; FPGA source "Table 1 (measured)", the model\'s values\n' +
    'beside them) and the model elsewhere ("model"). Model and limits: libs/hwcost/README.md.',
  options: {
    network: { type: "string", value: "ID", description: "pi-mnist, mnist-conv, cifar10, svhn, or all (default)" },
    format: { type: "string", value: "F", description: "table (default), csv or json" },
    memory: {
      type: "string",
      value: "LEVEL",
      description: "memory level that prices the traffic: sram-8KB, sram-32KB, sram-1MB (default), dram",
    },
    "memory-bound": {
      type: "string",
      value: "B",
      description: "for a level quoted as a range (dram: 1.3-2.6 nJ per 64 bits): low (default) or high",
    },
    fit: {
      type: "boolean",
      description: "print the calibration instead: every reference row beside the model, with residuals",
    },
  },
  async run(args) {
    const format = args.choice("format", TABLE_FORMATS, "table");
    if (args.flag("fit")) {
      args.refuse(["network", "memory", "memory-bound"], "--fit prints the calibration, which takes no network");
      const c = calibration();
      console.log(
        format === "json"
          ? JSON.stringify(c.fits, null, 2)
          : format === "csv"
            ? formatFitsCsv(c.fits)
            : formatCalibration(c),
      );
      return 0;
    }
    const network = args.choice("network", [...NETWORK_IDS(), "all"], "all");
    const memory = args.choice("memory", MEMORY_LEVELS(), "sram-1MB");
    const bound = args.choice("memory-bound", ["low", "high"] as const, "low");
    const networks = loadNetworks()
      .networks.filter((n) => network === "all" || n.id === network)
      .map((n) => ({ id: n.id, shape: n }));
    const rows = compareSettings(networks, PAPER_SETTINGS, { memory, memoryBound: bound });
    console.log(formatCostRows(rows, format as TableFormat));
    return 0;
  },
};

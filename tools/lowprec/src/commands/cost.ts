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
  MX_SETTINGS,
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
  synopsis:
    "[--network ID|all] [--settings paper|mx|all] [--format table|csv|json] [--memory LEVEL]" +
    " [--memory-bound low|high] [--fit]",
  description:
    "Prints what a training step and an epoch cost in hardware for the paper's networks under its five\n" +
    "precision settings (Goodfellow fp32, single 32/32, half 16/16, fixed point 20/20, dynamic fixed point\n" +
    "10/12): MACs per example, energy and area of one MAC (45 nm ASIC: pJ, µm²; Stratix V FPGA: ALMs, DSP\n" +
    "blocks), storage, energy per step and per epoch. The FPGA columns quote the paper's Table 1 where it\n" +
    'measured the MAC (same format kind and widths; FPGA source "Table 1 (measured)", the model\'s values\n' +
    'beside them) and the model elsewhere ("model"). --settings mx prints float32 (single) and four OCP\n' +
    "microscaling settings instead (mxfp8e4m3, mxfp6e3m2, mxfp4e2m1, mxint8: blocks of 32 with an E8M0 scale,\n" +
    "binary32 accumulation, bfloat16 stored parameters; beyond the paper, every MX figure extrapolated);\n" +
    "--settings all prints both. Model and limits: libs/hwcost/README.md.",
  options: {
    network: { type: "string", value: "ID", description: "pi-mnist, mnist-conv, cifar10, svhn, or all (default)" },
    settings: {
      type: "string",
      value: "S",
      description: "paper (default: the paper's five), mx (float32 and four MX settings) or all",
    },
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
      args.refuse(
        ["network", "settings", "memory", "memory-bound"],
        "--fit prints the calibration, which takes no network",
      );
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
    const which = args.choice("settings", ["paper", "mx", "all"] as const, "paper");
    // the first setting is the ×base of every row: float32 for the MX table
    const single = PAPER_SETTINGS.filter((s) => s.name === "single");
    const settings =
      which === "paper"
        ? PAPER_SETTINGS
        : which === "mx"
          ? [...single, ...MX_SETTINGS]
          : [...PAPER_SETTINGS, ...MX_SETTINGS];
    const rows = compareSettings(networks, settings, { memory, memoryBound: bound });
    console.log(formatCostRows(rows, format as TableFormat));
    return 0;
  },
};

/**
 * @lowprec/hwcost: what a number format costs in hardware. A calibrated model prices a multiplier,
 * an adder and a multiply-accumulator of any @lowprec/formats format (45 nm ASIC energy and area from
 * Horowitz ISSCC 2014; Stratix V ALMs and DSP blocks from the paper's Table 1), and costs a network's
 * training step and epoch under a precision setting. The reference data lives in `data/*.json`.
 */
export {
  ReferenceDataError,
  loadTable1,
  loadHorowitz45nm,
  loadNetworks,
  loadTco,
  parseTco,
  parseTable1,
  parseHorowitz,
  parseNetworks,
  dataPath,
} from "./data.js";
export type {
  Table1,
  Table1Row,
  Horowitz45nm,
  ArithmeticRow,
  MemoryRow,
  NetworkEntry,
  NetworksFile,
  TcoAssumption,
  TcoFile,
  TcoTargetEntry,
} from "./data.js";
export {
  UnsupportedFormatError,
  datapathOf,
  storageBits,
  multiplierStructure,
  adderStructure,
  WIDTH_LIMITS,
} from "./datapath.js";
export type { Datapath, Structure } from "./datapath.js";
export { calibration, CalibrationError, STATED_TOLERANCES } from "./calibrate.js";
export type { Calibration, Fit, FitRow, Coefficients } from "./calibrate.js";
export { multiplierCost, adderCost, macCost, CALIBRATED_RANGE } from "./model.js";
export { mxMacCost, mxMacStructure, mxStorageBits, mxElementDatapath, E8M0_BITS } from "./mx.js";
export { measuredMac, table1Label, FPGA_SOURCES, type FpgaSource } from "./measured.js";
export type { AsicCost, FpgaCost, OperatorCost } from "./model.js";
export { countNetwork, countLayer, convOutputSize, poolOutputSize, ShapeError, UPDATE_OPERATIONS } from "./network.js";
export type {
  LayerShape,
  DenseShape,
  ConvShape,
  SoftmaxShape,
  NetworkShape,
  LayerCount,
  NetworkCount,
} from "./network.js";
export {
  networkCost,
  compareSettings,
  defaultAccumulator,
  memoryLevel,
  PAPER_SETTINGS,
  MX_SETTINGS,
} from "./cost.js";
export type {
  PrecisionSetting,
  CostOptions,
  CostRow,
  NetworkCost,
  StepCost,
  GroupStorage,
  StorageGroup,
} from "./cost.js";
export {
  formatCostRows,
  formatCalibration,
  formatFitsCsv,
  formatTco,
  intervalText,
  sig,
  usd,
  valueText,
  TABLE_FORMATS,
  type TableFormat,
} from "./table.js";
export {
  tco,
  tcoSensitivity,
  tcoAssumptions,
  tcoNetwork,
  tcoTarget,
  accuracyVerdict,
  TcoInputError,
  TCO_SETTINGS,
  TCO_CAPACITIES,
  HOURS_PER_YEAR,
  HOURS_PER_MONTH,
} from "./tco.js";
export type {
  TcoWorkload,
  TcoCapacity,
  TcoOptions,
  TcoRow,
  TcoResult,
  SettingAccuracy,
  AccuracyVerdict,
  TornadoBar,
  TcoSensitivity,
} from "./tco.js";

/**
 * @lowprec/report: result rows → figures (Vega-Lite → SVG → PNG), Markdown tables and CSV.
 * It reads plain rows and imports nothing else of ours.
 */
export {
  type ResultRow,
  type ScaleRow,
  RESULT_COLUMNS,
  SCALE_COLUMNS,
  csvNumber,
  rowsToCsv,
  resultsToCsv,
  resultsFromCsv,
  scaleRowsToCsv,
  scaleRowsFromCsv,
} from "./rows.js";
export {
  type PaperTable2,
  DATASETS,
  conditionsLine,
  datasetLabel,
  markdownTable,
  resultsTableMarkdown,
  networksSideBySide,
  table2Markdown,
  isPartial,
  table2RatiosMarkdown,
} from "./markdown.js";
export {
  type Summary,
  formatSummary,
  inInterval,
  mean,
  overlaps,
  sampleSd,
  summarize,
  tQuantile975,
} from "./stats.js";
export {
  type VegaLiteSpec,
  type FigureKind,
  type CostErrorPoint,
  FIGURE_KINDS,
  FONT_FAMILY,
  REPORT_CONFIG,
  formatLabel,
  figureSpec,
  radixPointSpec,
  propBitsSpec,
  updateBitsSpec,
  overflowRateSpec,
  telemetrySpec,
  scaleRatesSpec,
  policiesSpec,
  transformerSpec,
  SCALING_POLICIES,
  type SeriesFigureKind,
  costErrorSpec,
  tornadoSpec,
  type TornadoInput,
  table2RatioSpec,
  figureFacts,
  figureKnees,
  type FigureKnee,
} from "./figures.js";
export { type ImageGridOptions, type ImageGridRow, MAX_GRID_PIXELS, imageColours, imageGridSpec } from "./images.js";
export { paretoFront } from "./pareto.js";
export {
  type NumberLine,
  type NumberLineFamily,
  type NumberLinePanel,
  numberLineSpec,
  rowNote,
  stepText,
} from "./number-line.js";
export {
  type CurvePoint,
  type CurveRun,
  type GroupMovement,
  GROUP_FAMILIES,
  groupFamily,
  groupMovements,
  learningCurveFacts,
  telemetryFacts,
} from "./facts.js";
export { BUNDLE_SVG_LIMIT, figureBundle, toSvg, toPng } from "./render.js";
export {
  summarizeGroups,
  groupSummariesToCsv,
  groupSummariesFromCsv,
  groupsAcrossLayers,
  GROUP_SUMMARY_COLUMNS,
  type GroupSummary,
} from "./group-telemetry.js";

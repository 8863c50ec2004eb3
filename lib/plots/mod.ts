/**
 * Plots: Vega-Lite spec builders for the paper's tables and figures, headless SVG/PNG rendering with a
 * bundled font (no network, no system fonts), and a Jupyter display helper. Imports nothing from training.
 *
 * @example
 * ```ts
 * import { barsWithErrors, writeFigure } from "./mod.ts";
 * const spec = barsWithErrors(
 *   [{ group: "cooperative navigation", series: "OMAR", mean: 65, std: 4 }],
 *   { title: "Normalised score", yTitle: "score", reference: 55, referenceLabel: "MA-CQL" },
 * );
 * await writeFigure("results/fig5", spec);
 * ```
 *
 * @module
 */
export { VEGA_LITE_SCHEMA, type VegaLiteSpec } from "./types.ts";
export {
  type BandPoint,
  type BarRow,
  type BarsOptions,
  barsWithErrors,
  type ChartOptions,
  type CurvesOptions,
  curvesWithBands,
  type GridBar,
  gridFigure,
  type GridFigureOptions,
  histogram,
  type HistogramOptions,
  landscapeChart,
  lineChart,
  type LineOptions,
  type LinePoint,
  type XMarker,
} from "./specs.ts";
export {
  type FigurePaths,
  FONT_FAMILY,
  type PngOptions,
  renderPng,
  renderSvg,
  writeFigure,
  type WriteFigureOptions,
} from "./render.ts";
export { display, type DisplayBundle, type DisplayOptions, VEGA_LITE_MIME } from "./jupyter.ts";

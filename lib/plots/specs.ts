/**
 * Vega-Lite spec builders for the paper's tables and figures. Each returns a self-contained JSON spec
 * (`$schema`, width, height, inline `data.values`) that renders with `renderSvg`/`renderPng` or in
 * JupyterLab. Input is checked: empty rows, non-finite numbers, negative std and duplicate keys give a
 * {@link KitInputError} naming the offending entry.
 *
 * @module
 */
import type { LandscapeStudy } from "../algos/landscape_study.ts";
import { KitInputError } from "../util/errors.ts";
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from "./types.ts";

/** Layout options every builder takes. */
export interface ChartOptions {
  /** Chart title; omitted means no title. */
  title?: string;
  /** Plot-area width in pixels (default 400). */
  width?: number;
  /** Plot-area height in pixels (default 250). */
  height?: number;
}

/** One bar of {@link barsWithErrors}: the mean ± std of `series` within `group`. */
export interface BarRow {
  /** The x-axis category, e.g. a task name. */
  group: string;
  /** The bar within a group (colour), e.g. an algorithm name. */
  series: string;
  /** Bar height. */
  mean: number;
  /** Half-length of the error bar (≥ 0). */
  std: number;
}

/** Options for {@link barsWithErrors}. */
export interface BarsOptions extends ChartOptions {
  /** Y-axis title. */
  yTitle: string;
  /** X-axis title (default: none; the group names speak for themselves). */
  xTitle?: string;
  /** Draws a dashed horizontal rule at this y, e.g. MA-CQL's score in the paper's Fig 5. */
  reference?: number;
  /** Text beside the reference rule, e.g. `"MA-CQL"`. */
  referenceLabel?: string;
}

/** One point of {@link curvesWithBands}: the mean ± std of `series` at `x`. */
export interface BandPoint {
  /** Curve name (colour), e.g. an algorithm name. */
  series: string;
  /** X position, e.g. a training step. */
  x: number;
  /** The line's y. */
  mean: number;
  /** Half-width of the band (≥ 0). */
  std: number;
}

/** Options for {@link curvesWithBands}. */
export interface CurvesOptions extends ChartOptions {
  /** X-axis title. */
  xTitle: string;
  /** Y-axis title. */
  yTitle: string;
}

/** Options for {@link histogram}. */
export interface HistogramOptions extends ChartOptions {
  /** X-axis title, e.g. `"episode return"`. */
  xTitle: string;
  /** Y-axis title (default `"count"`). */
  yTitle?: string;
  /** Number of equal-width bins over [min, max] (default 20). */
  bins?: number;
}

/** One point of {@link lineChart}. */
export interface LinePoint {
  /** Curve name (colour). */
  series: string;
  /** X position. */
  x: number;
  /** Y value. */
  y: number;
}

/** A labelled vertical marker of {@link lineChart}, e.g. `{ x: 0.3, label: "π(o)" }`. */
export interface XMarker {
  /** X position of the dashed vertical rule. */
  x: number;
  /** Text drawn beside the rule's top. */
  label: string;
}

/** Options for {@link lineChart}. */
export interface LineOptions extends ChartOptions {
  /** X-axis title. */
  xTitle: string;
  /** Y-axis title. */
  yTitle: string;
  /** Labelled vertical markers (the paper's Fig 2c: π(o), after an MA-CQL update, after an OMAR update). */
  marks?: XMarker[];
}

/** One bar of {@link gridFigure}: a table cell, the mean ± std of `series` at `x` within `panel`. */
export interface GridBar {
  /** The panel (facet) it is drawn in, e.g. a task. */
  panel: string;
  /** The x-axis category within the panel, e.g. a dataset quality. */
  x: string;
  /** The bar within an x category (colour), e.g. an algorithm or an ablation's column. */
  series: string;
  /** Bar height. */
  mean: number;
  /** Half-length of the error bar (≥ 0). */
  std: number;
  /** The paper's `[mean, std]` for this cell, drawn as a marker over the bar; absent or null when none. */
  paper?: readonly [number, number] | null;
}

/** Options for {@link gridFigure}. Its `width` and `height` are those of one panel. */
export interface GridFigureOptions extends ChartOptions {
  /** Y-axis title, e.g. `"normalised score"`. */
  yTitle: string;
  /** X-axis title (default: none). */
  xTitle?: string;
  /** Panel order (default: first appearance); every bar's panel must be listed. */
  panels?: readonly string[];
  /** X-category order (default: first appearance); every bar's x must be listed. */
  xs?: readonly string[];
  /** Series order (default: first appearance); every bar's series must be listed. */
  series?: readonly string[];
  /** Panels wrap onto a new row once a row would be wider than this many pixels (default 1100). */
  maxWidth?: number;
  /** Each panel gets its own y scale (default: one shared scale, as a table compares across panels). */
  independentY?: boolean;
  /** Legend text of the paper's markers (default `"paper"`). */
  paperLabel?: string;
}

const DEFAULT_WIDTH = 400;
const DEFAULT_HEIGHT = 250;
const MAX_BINS = 1000;

/**
 * Grouped bars (x = group, colour/xOffset = series) with ±std error bars and an optional dashed
 * reference rule. Groups and series keep their first-appearance order.
 */
export function barsWithErrors(rows: BarRow[], options: BarsOptions): VegaLiteSpec {
  const what = "barsWithErrors";
  checkNonEmpty(what, "rows", rows);
  checkText(what, "options.yTitle", options.yTitle);
  const seen = new Set<string>();
  const values = rows.map((r, i) => {
    checkText(what, `rows[${i}].group`, r?.group);
    checkText(what, `rows[${i}].series`, r.series);
    checkFinite(what, `rows[${i}].mean`, r.mean);
    checkStd(what, `rows[${i}].std`, r.std);
    const key = JSON.stringify([r.group, r.series]);
    if (seen.has(key)) {
      throw new KitInputError(`${what}: rows hold two bars for group "${r.group}", series "${r.series}"`);
    }
    seen.add(key);
    return {
      group: r.group,
      series: r.series,
      mean: r.mean,
      std: r.std,
      lo: r.mean - r.std,
      hi: r.mean + r.std,
    };
  });
  const groups = [...new Set(values.map((v) => v.group))];
  // Without a width given, wide enough for the group names (on two lines where needed).
  const width = checkSize(what, "options.width", options.width ?? roomForLabels(groups, DEFAULT_WIDTH));
  const x = {
    field: "group",
    type: "nominal",
    sort: null,
    title: options.xTitle ?? null,
    axis: labelAxis(groups, width),
  };
  const xOffset = { field: "series", type: "nominal", sort: null };
  const yTitle = options.yTitle;
  const layer: Record<string, unknown>[] = [
    {
      mark: { type: "bar" },
      encoding: {
        x,
        xOffset,
        y: { field: "mean", type: "quantitative", title: yTitle },
        color: { field: "series", type: "nominal", sort: null, title: null },
        tooltip: [
          { field: "group", type: "nominal" },
          { field: "series", type: "nominal" },
          { field: "mean", type: "quantitative", format: ".3~f" },
          { field: "std", type: "quantitative", format: ".3~f" },
        ],
      },
    },
    {
      mark: { type: "rule", color: "black" },
      encoding: {
        x,
        xOffset,
        y: { field: "lo", type: "quantitative", title: yTitle },
        y2: { field: "hi" },
      },
    },
  ];
  if (options.reference !== undefined) {
    checkFinite(what, "options.reference", options.reference);
    const refData = { values: [{ reference: options.reference, label: options.referenceLabel ?? "" }] };
    const y = { field: "reference", type: "quantitative", title: yTitle };
    layer.push({ data: refData, mark: { type: "rule", strokeDash: [6, 4], color: "#333" }, encoding: { y } });
    if (options.referenceLabel !== undefined) {
      checkText(what, "options.referenceLabel", options.referenceLabel);
      layer.push({
        data: refData,
        mark: { type: "text", align: "right", baseline: "bottom", dy: -2, color: "#333" },
        encoding: { y, x: { value: width }, text: { field: "label" } },
      });
    }
  }
  return base(what, { ...options, width }, { data: { values }, layer });
}

/**
 * A results grid laid out the way the paper's tables read: one panel per `panel` (e.g. task), the `x`
 * categories (e.g. qualities) along each panel's axis, the series (e.g. algorithms) as grouped bars with
 * ±std error bars, and the paper's value, where a bar has one, as a black diamond over the bar (legend
 * entry `paperLabel`). Panel sizes follow the bar count; panels wrap to keep the figure within `maxWidth`;
 * x labels turn when they would not fit beside each other.
 */
export function gridFigure(bars: GridBar[], options: GridFigureOptions): VegaLiteSpec {
  const what = "gridFigure";
  checkNonEmpty(what, "bars", bars);
  checkText(what, "options.yTitle", options.yTitle);
  const seen = new Set<string>();
  let papers = 0;
  const values = bars.map((b, i) => {
    checkText(what, `bars[${i}].panel`, b?.panel);
    checkText(what, `bars[${i}].x`, b.x);
    checkText(what, `bars[${i}].series`, b.series);
    checkFinite(what, `bars[${i}].mean`, b.mean);
    checkStd(what, `bars[${i}].std`, b.std);
    const key = JSON.stringify([b.panel, b.x, b.series]);
    if (seen.has(key)) {
      throw new KitInputError(
        `${what}: bars hold two bars for panel "${b.panel}", x "${b.x}", series "${b.series}"`,
      );
    }
    seen.add(key);
    let paperMean: number | null = null, paperStd: number | null = null;
    if (b.paper !== undefined && b.paper !== null) {
      if (!Array.isArray(b.paper) || b.paper.length !== 2) {
        throw new KitInputError(`${what}: bars[${i}].paper must be [mean, std] or null`);
      }
      checkFinite(what, `bars[${i}].paper[0]`, b.paper[0]);
      checkStd(what, `bars[${i}].paper[1]`, b.paper[1]);
      [paperMean, paperStd] = b.paper;
      papers++;
    }
    return {
      panel: b.panel,
      x: b.x,
      series: b.series,
      mean: b.mean,
      std: b.std,
      lo: b.mean - b.std,
      hi: b.mean + b.std,
      paperMean,
      paperStd,
    };
  });
  const panels = orderOf(what, "panels", options.panels, values.map((v) => v.panel));
  const xs = orderOf(what, "xs", options.xs, values.map((v) => v.x));
  const series = orderOf(what, "series", options.series, values.map((v) => v.series));
  const paperLabel = options.paperLabel ?? "paper";
  checkText(what, "options.paperLabel", paperLabel);
  const maxWidth = checkSize(what, "options.maxWidth", options.maxWidth ?? 1100);

  // Sizes: ~12 px a bar (9 when many) and a bar's width between x categories; room for the panel's
  // header and for the x labels, a label on two lines where one would not fit beside the bars.
  const barPx = series.length > 8 ? 9 : 12;
  const band = (series.length + 1) * barPx;
  const longestPanel = Math.max(...panels.map((p) => p.length));
  const bare = Math.max(xs.length * band, 120, Math.ceil(longestPanel * HEADER_CHAR_PX) + 16);
  const width = checkSize(what, "options.width", options.width ?? roomForLabels(xs, bare));
  const height = checkSize(what, "options.height", options.height ?? 220);
  // Rows of panels as even as the width allows (5 panels, at most 4 a row: 3 + 2, not 4 + 1).
  const perPanel = width + PANEL_SPACING + (options.independentY ? 50 : 0);
  const fit = Math.max(1, Math.floor((maxWidth + PANEL_SPACING) / perPanel));
  const columns = Math.ceil(panels.length / Math.ceil(panels.length / fit));

  const x = {
    field: "x",
    type: "nominal",
    sort: xs,
    title: options.xTitle ?? null,
    axis: labelAxis(xs, width),
    scale: { paddingInner: 0.15, paddingOuter: 0.08 },
  };
  const xOffset = { field: "series", type: "nominal", sort: series, scale: { paddingInner: 0.08 } };
  const y = { field: "mean", type: "quantitative", title: options.yTitle, axis: { domain: false } };
  const tooltip = [
    { field: "panel", type: "nominal" },
    { field: "x", type: "nominal" },
    { field: "series", type: "nominal" },
    { field: "mean", type: "quantitative", format: ".3~f" },
    { field: "std", type: "quantitative", format: ".3~f" },
    { field: "paperMean", type: "quantitative", title: `${paperLabel} mean` },
    { field: "paperStd", type: "quantitative", title: `${paperLabel} std` },
  ];
  const layer: Record<string, unknown>[] = [
    {
      mark: { type: "bar" },
      encoding: {
        x,
        xOffset,
        y,
        color: {
          field: "series",
          type: "nominal",
          sort: series,
          title: null,
          scale: { scheme: series.length > 10 ? "tableau20" : "tableau10" },
          legend: { orient: "right", labelLimit: 220 },
        },
        tooltip,
      },
    },
    {
      mark: { type: "rule", color: "#222", strokeWidth: 1.2 },
      encoding: { x, xOffset, y: { ...y, field: "lo" }, y2: { field: "hi" } },
    },
  ];
  if (papers > 0) {
    layer.push({
      transform: [{ filter: "isValid(datum.paperMean)" }, {
        calculate: JSON.stringify(paperLabel),
        as: "source",
      }],
      mark: {
        type: "point",
        shape: "diamond",
        filled: true,
        size: 60,
        color: "black",
        stroke: "white",
        strokeWidth: 0.8,
        opacity: 1,
      },
      encoding: {
        x,
        xOffset,
        y: { ...y, field: "paperMean" },
        shape: {
          field: "source",
          type: "nominal",
          title: null,
          scale: { range: ["diamond"] },
          legend: { orient: "right", symbolFillColor: "black", symbolStrokeColor: "white" },
        },
        tooltip,
      },
    });
  }
  const facet = {
    field: "panel",
    type: "nominal",
    sort: panels,
    title: null,
    header: { labelFontSize: 12, labelFontWeight: "bold", labelLimit: 0 },
  };
  const spec: VegaLiteSpec = { $schema: VEGA_LITE_SCHEMA };
  if (options.title !== undefined) {
    checkText(what, "options.title", options.title);
    spec.title = { text: options.title, anchor: "start", fontSize: 14 };
  }
  return Object.assign(spec, {
    data: { values },
    // One row of panels as a column facet; more as a wrapped facet (`columns` per row).
    facet: columns === panels.length ? { column: facet } : facet,
    ...(columns === panels.length ? {} : { columns }),
    spacing: { row: 24, column: PANEL_SPACING },
    resolve: { scale: { y: options.independentY ? "independent" : "shared" }, axis: { x: "independent" } },
    spec: { width, height, layer },
  });
}

/** Mean lines with a shaded mean ± std band per series (the paper's learning curves, Fig 9). */
export function curvesWithBands(points: BandPoint[], options: CurvesOptions): VegaLiteSpec {
  const what = "curvesWithBands";
  checkNonEmpty(what, "points", points);
  checkText(what, "options.xTitle", options.xTitle);
  checkText(what, "options.yTitle", options.yTitle);
  const seen = new Set<string>();
  const values = points.map((p, i) => {
    checkText(what, `points[${i}].series`, p?.series);
    checkFinite(what, `points[${i}].x`, p.x);
    checkFinite(what, `points[${i}].mean`, p.mean);
    checkStd(what, `points[${i}].std`, p.std);
    const key = JSON.stringify([p.series, p.x]);
    if (seen.has(key)) throw new KitInputError(`${what}: two points for series "${p.series}" at x = ${p.x}`);
    seen.add(key);
    return { series: p.series, x: p.x, mean: p.mean, std: p.std, lo: p.mean - p.std, hi: p.mean + p.std };
  });
  const x = { field: "x", type: "quantitative", title: options.xTitle };
  // Legend entries show the lines, not the pale bands.
  const legend = { symbolType: "stroke", symbolStrokeWidth: 2, symbolOpacity: 1 };
  const color = { field: "series", type: "nominal", sort: null, title: null, legend };
  return base(what, options, {
    data: { values },
    layer: [
      {
        mark: { type: "area", opacity: 0.2 },
        encoding: {
          x,
          y: { field: "lo", type: "quantitative", title: options.yTitle },
          y2: { field: "hi" },
          color,
        },
      },
      {
        mark: { type: "line", strokeWidth: 2 },
        encoding: { x, y: { field: "mean", type: "quantitative", title: options.yTitle }, color },
      },
    ],
  });
}

/**
 * A histogram of `values` (e.g. a dataset card's episode returns). The bins are counted here, so the spec
 * holds `bins` rows however many values there are.
 */
export function histogram(values: number[], options: HistogramOptions): VegaLiteSpec {
  const what = "histogram";
  checkNonEmpty(what, "values", values);
  checkText(what, "options.xTitle", options.xTitle);
  const bins = options.bins ?? 20;
  if (!Number.isInteger(bins) || bins < 1 || bins > MAX_BINS) {
    throw new KitInputError(`${what}: options.bins must be an integer in [1, ${MAX_BINS}], got ${bins}`);
  }
  let lo = Infinity;
  let hi = -Infinity;
  values.forEach((v, i) => {
    checkFinite(what, `values[${i}]`, v);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  });
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
  const rows = counts.map((count, i) => ({
    start: lo + i * width,
    end: i === bins - 1 ? hi : lo + (i + 1) * width,
    count,
  }));
  return base(what, options, {
    data: { values: rows },
    mark: { type: "bar", binSpacing: 1 },
    encoding: {
      x: { field: "start", type: "quantitative", bin: { binned: true }, title: options.xTitle },
      x2: { field: "end" },
      y: { field: "count", type: "quantitative", title: options.yTitle ?? "count" },
      tooltip: [
        { field: "start", type: "quantitative", format: ".4~g" },
        { field: "end", type: "quantitative", format: ".4~g" },
        { field: "count", type: "quantitative" },
      ],
    },
  });
}

/**
 * Lines per series with optional labelled vertical markers, e.g. a Q landscape over a 1-D action with
 * π(o), the MA-CQL update and the OMAR update marked (the paper's Fig 2c).
 */
export function lineChart(points: LinePoint[], options: LineOptions): VegaLiteSpec {
  const what = "lineChart";
  checkNonEmpty(what, "points", points);
  checkText(what, "options.xTitle", options.xTitle);
  checkText(what, "options.yTitle", options.yTitle);
  const seen = new Set<string>();
  const values = points.map((p, i) => {
    checkText(what, `points[${i}].series`, p?.series);
    checkFinite(what, `points[${i}].x`, p.x);
    checkFinite(what, `points[${i}].y`, p.y);
    const key = JSON.stringify([p.series, p.x]);
    if (seen.has(key)) throw new KitInputError(`${what}: two points for series "${p.series}" at x = ${p.x}`);
    seen.add(key);
    return { series: p.series, x: p.x, y: p.y };
  });
  const x = { field: "x", type: "quantitative", title: options.xTitle };
  const layer: Record<string, unknown>[] = [{
    mark: { type: "line", strokeWidth: 2 },
    encoding: {
      x,
      // Not from zero: a landscape's shape is the point, not its height above 0.
      y: { field: "y", type: "quantitative", title: options.yTitle, scale: { zero: false } },
      color: { field: "series", type: "nominal", sort: null, title: null },
    },
  }];
  const marks = options.marks ?? [];
  if (!Array.isArray(marks)) throw new KitInputError(`${what}: options.marks must be an array`);
  if (marks.length > 0) {
    // Labels are staggered downwards so markers close together stay legible.
    const markValues = marks.map((m, i) => {
      checkFinite(what, `options.marks[${i}].x`, m?.x);
      checkText(what, `options.marks[${i}].label`, m.label);
      return { x: m.x, label: m.label, labelY: 2 + 14 * i };
    });
    const data = { values: markValues };
    const text = { type: "text", align: "left", baseline: "top", dx: 3 };
    const encoding = {
      x,
      y: { field: "labelY", type: "quantitative", scale: null },
      text: { field: "label" },
    };
    layer.push(
      { data, mark: { type: "rule", strokeDash: [4, 3], color: "#555" }, encoding: { x } },
      // A white halo under each label keeps it legible where it crosses a neighbouring marker's rule.
      { data, mark: { ...text, color: "white", stroke: "white", strokeWidth: 3 }, encoding },
      { data, mark: { ...text, color: "#222" }, encoding },
    );
  }
  return base(what, options, { data: { values }, layer });
}

/** Approximate width of an axis-label character of the bundled font at Vega's default 10 px size. */
const CHAR_PX = 6.2;
/** The same for a panel header (12 px), with a margin: headers of neighbouring panels must not touch. */
const HEADER_CHAR_PX = 7.8;

/** Pixels between panels. */
const PANEL_SPACING = 16;

/** Approximate drawn width of an axis label. */
const textPx = (text: string) => text.length * CHAR_PX;

/** The lines of each of `labels` in bands `room` px wide: whole where it fits, else on two lines. */
function labelLines(labels: readonly string[], room: number): string[][] {
  return labels.map((l) => textPx(l) + 8 > room ? splitLabel(l) : [l]);
}

/**
 * A width of at least `width` in which `labels`, one band each, fit: whole where up to a third more width
 * does it, else on two lines.
 */
function roomForLabels(labels: readonly string[], width: number): number {
  const whole = Math.ceil(labels.length * (Math.max(...labels.map(textPx)) + 8));
  if (whole <= (4 / 3) * width) return Math.max(width, whole);
  const longest = Math.max(...labelLines(labels, width / labels.length).flat().map(textPx));
  return Math.max(width, Math.ceil(labels.length * (longest + 8)));
}

/**
 * Axis settings for `labels` in `width` px: level, a label on two lines where it would run into its
 * neighbours, turned (whole) where even that does not fit.
 */
function labelAxis(labels: readonly string[], width: number): Record<string, unknown> {
  const room = width / labels.length;
  const lines = labelLines(labels, room);
  if (Math.max(...lines.flat().map(textPx)) + 6 > room) {
    return { labelAngle: -35, labelAlign: "right", labelBaseline: "top", labelLimit: 180 };
  }
  const wrapped = lines.map((ls, i) => ({ label: labels[i], ls })).filter((l) => l.ls.length > 1);
  const labelExpr =
    wrapped.map((w) => `datum.label === ${JSON.stringify(w.label)} ? ${JSON.stringify(w.ls)} : `)
      .join("") + "datum.label";
  return { labelAngle: 0, labelLimit: 0, ...(wrapped.length > 0 ? { labelExpr } : {}) };
}

/**
 * `text` on two lines, broken at the space nearest its middle, or without one after the `-`, `_` or `,`
 * nearest it; as is without any.
 */
function splitLabel(text: string): string[] {
  const seps = text.includes(" ") ? " " : "-_,";
  let best: string[] = [text];
  for (let i = 1; i < text.length - 1; i++) {
    if (!seps.includes(text[i])) continue;
    const lines = [text.slice(0, text[i] === " " ? i : i + 1), text.slice(i + 1)];
    if (Math.max(...lines.map((l) => l.length)) < Math.max(...best.map((l) => l.length))) best = lines;
  }
  return best;
}

/** The order of a grid's categories: `given` (every one of `used` must be in it) or first appearance. */
function orderOf(what: string, name: string, given: readonly string[] | undefined, used: string[]): string[] {
  const firstSeen = [...new Set(used)];
  if (given === undefined) return firstSeen;
  if (!Array.isArray(given)) throw new KitInputError(`${what}: options.${name} must be an array of names`);
  const missing = firstSeen.filter((u) => !given.includes(u));
  if (missing.length > 0) {
    throw new KitInputError(
      `${what}: options.${name} must list every bar's ${name}, missing "${missing[0]}"`,
    );
  }
  // Only the listed categories that bars use, so an empty panel or column leaves no gap.
  return given.filter((g, i) => firstSeen.includes(g) && given.indexOf(g) === i);
}

function base(what: string, options: ChartOptions, body: Record<string, unknown>): VegaLiteSpec {
  const spec: VegaLiteSpec = { $schema: VEGA_LITE_SCHEMA };
  if (options.title !== undefined) {
    checkText(what, "options.title", options.title);
    spec.title = options.title;
  }
  spec.width = checkSize(what, "options.width", options.width ?? DEFAULT_WIDTH);
  spec.height = checkSize(what, "options.height", options.height ?? DEFAULT_HEIGHT);
  return Object.assign(spec, body);
}

function checkNonEmpty(what: string, name: string, rows: unknown): void {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new KitInputError(
      `${what}: ${name} must be a non-empty array, got ${Array.isArray(rows) ? "[]" : typeof rows}`,
    );
  }
}

function checkText(what: string, name: string, value: unknown): void {
  if (typeof value !== "string" || value.trim() === "") {
    throw new KitInputError(
      `${what}: ${name} must be a non-empty string, got ${JSON.stringify(value) ?? "undefined"}`,
    );
  }
}

function checkFinite(what: string, name: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new KitInputError(`${what}: ${name} must be a finite number, got ${String(value)}`);
  }
}

function checkStd(what: string, name: string, value: unknown): void {
  checkFinite(what, name, value);
  if ((value as number) < 0) throw new KitInputError(`${what}: ${name} must be ≥ 0, got ${value}`);
}

function checkSize(what: string, name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || value > 10_000) {
    throw new KitInputError(`${what}: ${name} must be a number in (0, 10000], got ${String(value)}`);
  }
  return value;
}

/**
 * The paper's Fig. 2(c) from a {@link LandscapeStudy}: Q1 over the action grid at the state it chose,
 * with π(o) and each compared update marked. `labels` maps algorithm names to display names.
 */
export function landscapeChart(
  study: LandscapeStudy,
  options: ChartOptions & { labels?: Record<string, string> },
): VegaLiteSpec {
  const s = study.states[study.shown], q = study.q1[s.index], labels = options.labels ?? {};
  return lineChart(Array.from(study.grid, (x, g) => ({ series: "Q1(o, a)", x, y: q[g] })), {
    ...options,
    xTitle: "action a of the learner",
    yTitle: "Q1(o, a)",
    marks: [
      { x: s.action, label: "π(o)" },
      ...Object.entries(s.after).map(([n, x]) => ({ x, label: `${labels[n] ?? n} update` })),
    ],
  });
}

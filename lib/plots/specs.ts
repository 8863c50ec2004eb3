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
  const x = {
    field: "group",
    type: "nominal",
    sort: null,
    title: options.xTitle ?? null,
    axis: { labelAngle: 0 },
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
        encoding: { y, x: { value: options.width ?? DEFAULT_WIDTH }, text: { field: "label" } },
      });
    }
  }
  return base(what, options, { data: { values }, layer });
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
      y: { field: "y", type: "quantitative", title: options.yTitle },
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
    layer.push(
      { data, mark: { type: "rule", strokeDash: [4, 3], color: "#555" }, encoding: { x } },
      {
        data,
        mark: { type: "text", align: "left", baseline: "top", dx: 3, color: "#222" },
        encoding: { x, y: { field: "labelY", type: "quantitative", scale: null }, text: { field: "label" } },
      },
    );
  }
  return base(what, options, { data: { values }, layer });
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

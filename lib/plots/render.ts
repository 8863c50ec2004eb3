/**
 * Headless rendering of Vega-Lite specs: SVG through vega's `renderer: "none"` view, PNG through
 * resvg-wasm with the DejaVu Sans font shipped in `fixtures/fonts/`, so text renders on machines without
 * system fonts. Layout measures text with that font's advance widths (Vega's own guess without a canvas is
 * a third too wide), so titles, panel headers, labels and legends sit where the PNG draws them. Nothing
 * here touches the network: external data URLs and images are refused.
 *
 * @module
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import { initWasm, Resvg } from "@resvg/resvg-wasm";
import { KitInputError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/fs.ts";
import type { VegaLiteSpec } from "./types.ts";
import { fontTextWidth, type TextWidth } from "./text_width.ts";

/** The font family every rendered chart uses; its TTF ships in `fixtures/fonts/`. */
export const FONT_FAMILY = "DejaVu Sans";

const FONT_URL = new URL("../../fixtures/fonts/DejaVuSans.ttf", import.meta.url);
const MAX_SCALE = 16;

/** Options for {@link renderPng}. */
export interface PngOptions {
  /** Pixels per SVG unit (default 1): the PNG is `round(scale × width)` by `round(scale × height)`. */
  scale?: number;
}

/** Options for {@link writeFigure}. */
export interface WriteFigureOptions {
  /** PNG pixels per SVG unit (default 2, sharp on high-DPI screens and in papers). */
  scale?: number;
}

/** The paths {@link writeFigure} wrote. */
export interface FigurePaths {
  /** `<base>.vl.json`: the Vega-Lite spec, as given. */
  spec: string;
  /** `<base>.svg`. */
  svg: string;
  /** `<base>.png`. */
  png: string;
}

/** Compiles `spec` with vega-lite and renders it headless to an SVG string. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const vgSpec = compileSpec(spec);
  const url = externalDataUrl(vgSpec);
  if (url !== undefined) throw refusal(url);
  await ensureTextMetrics();
  let view: vega.View;
  try {
    view = new vega.View(vega.parse(vgSpec), { renderer: "none", loader: offlineLoader() });
  } catch (err) {
    throw new KitInputError(`invalid Vega-Lite spec: ${errorMessage(err)}`);
  }
  try {
    return await view.toSVG();
  } catch (err) {
    if (err instanceof KitInputError) throw err;
    throw new KitInputError(`Vega-Lite spec did not render: ${errorMessage(err)}`);
  } finally {
    view.finalize();
  }
}

/** Renders `spec` to PNG bytes (SVG first, then resvg-wasm with the bundled font, no system fonts). */
export async function renderPng(spec: VegaLiteSpec, options: PngOptions = {}): Promise<Uint8Array> {
  const scale = checkScale(options.scale ?? 1);
  const svg = await renderSvg(spec);
  return await svgToPng(svg, scale);
}

/**
 * Writes `<basePath>.vl.json`, `<basePath>.svg` and `<basePath>.png`, each atomically; creates the parent
 * directory when missing. Returns the three paths.
 */
export async function writeFigure(
  basePath: string,
  spec: VegaLiteSpec,
  options: WriteFigureOptions = {},
): Promise<FigurePaths> {
  if (typeof basePath !== "string" || basePath === "") {
    throw new KitInputError("writeFigure: basePath must be a non-empty path without extension");
  }
  const scale = checkScale(options.scale ?? 2);
  const svg = await renderSvg(spec);
  const png = await svgToPng(svg, scale);
  const paths: FigurePaths = { spec: `${basePath}.vl.json`, svg: `${basePath}.svg`, png: `${basePath}.png` };
  const slash = basePath.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(basePath.slice(0, slash), { recursive: true });
  await writeFileAtomic(paths.spec, JSON.stringify(spec, null, 2) + "\n");
  await writeFileAtomic(paths.svg, svg);
  await writeFileAtomic(paths.png, png);
  return paths;
}

function compileSpec(spec: VegaLiteSpec): vega.Spec {
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
    throw new KitInputError(`a Vega-Lite spec must be a JSON object, got ${describe(spec)}`);
  }
  try {
    // Clone: vega-lite may annotate its input, and the caller's spec is written out as is.
    const input = structuredClone(spec) as unknown as vl.TopLevelSpec;
    return vl.compile(input, { config: { font: FONT_FAMILY } }).spec;
  } catch (err) {
    throw new KitInputError(`invalid Vega-Lite spec: ${errorMessage(err)}`);
  }
}

/** The first `url` of a data source in the compiled Vega spec (nested groups included), if any. */
function externalDataUrl(node: unknown): string | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const url = externalDataUrl(item);
      if (url !== undefined) return url;
    }
  } else if (node !== null && typeof node === "object") {
    const { data, marks } = node as { data?: unknown; marks?: unknown };
    if (Array.isArray(data)) {
      for (const d of data) {
        const url = (d as { url?: unknown } | null)?.url;
        if (url !== undefined) return typeof url === "string" ? url : JSON.stringify(url);
      }
    }
    return externalDataUrl(marks);
  }
  return undefined;
}

function refusal(uri: string): KitInputError {
  return new KitInputError(
    `chart specs must be self-contained (inline data.values); refusing to load "${uri}"`,
  );
}

/**
 * A vega loader that refuses every external resource (data the pre-check missed, images), so rendering
 * never reaches the network.
 */
function offlineLoader(): vega.Loader {
  const loader = vega.loader();
  const refuse = (uri: string): Promise<never> => Promise.reject(refusal(uri));
  loader.load = refuse;
  loader.sanitize = refuse;
  return loader;
}

let wasmReady: Promise<void> | undefined;
let fontBytes: Promise<Uint8Array> | undefined;

/** Initialises resvg-wasm once per process; a failed attempt is retried on the next call. */
function ensureWasm(): Promise<void> {
  wasmReady ??= (async () => {
    const url = new URL(import.meta.resolve("@resvg/resvg-wasm/index_bg.wasm"));
    try {
      await initWasm(await readUrl(url));
    } catch (err) {
      // Another module in this process may have initialised resvg-wasm already; that is fine.
      if (!/already initiali[sz]ed/i.test(errorMessage(err))) throw err;
    }
  })().catch((err) => {
    wasmReady = undefined;
    throw err;
  });
  return wasmReady;
}

let metricsReady: Promise<void> | undefined;

/** The fields of a Vega text item that its width depends on. */
interface TextItem {
  fontSize?: number | string | null;
  limit?: number | string | null;
}

/**
 * Makes Vega measure text with the bundled font (once per process; Vega's `textMetrics.width` is its hook
 * for this). Where the font cannot be read, Vega keeps its estimate: the SVG still renders.
 */
function ensureTextMetrics(): Promise<void> {
  metricsReady ??= loadFont().then((font) => {
    const width = fontTextWidth(font);
    const metrics = (vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } })
      .textMetrics;
    metrics.width = (item, text) => measureText(width, item, text);
  }).catch(() => {});
  return metricsReady;
}

/**
 * Width of `text` (a line, lines, or null for none) as Vega would draw it from `item`: its font size
 * (default 11) and, when it has a `limit`, truncated to at most that. Vega's truncation calls back with
 * prefixes, so the limit is applied as a bound rather than by truncating here.
 */
function measureText(width: TextWidth, item: TextItem, text: unknown): number {
  const size = item.fontSize != null ? (Number(item.fontSize) || 0) : 11;
  const lines = Array.isArray(text) ? text : [text];
  const w = Math.max(0, ...lines.map((line) => width(line == null ? "" : String(line).trim(), size)));
  const limit = Number(item.limit);
  return limit > 0 ? Math.min(w, limit) : w;
}

function loadFont(): Promise<Uint8Array> {
  fontBytes ??= readUrl(FONT_URL).catch((err) => {
    fontBytes = undefined;
    throw new Error(`cannot read the bundled font ${FONT_URL.href}: ${errorMessage(err)}`);
  });
  return fontBytes;
}

async function readUrl(url: URL): Promise<Uint8Array> {
  if (url.protocol === "file:") return await Deno.readFile(url);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url.href}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function svgToPng(svg: string, scale: number): Promise<Uint8Array> {
  const [font] = await Promise.all([loadFont(), ensureWasm()]);
  const resvg = new Resvg(svg, {
    font: {
      fontBuffers: [font],
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
      serifFamily: FONT_FAMILY,
      monospaceFamily: FONT_FAMILY,
      loadSystemFonts: false,
    },
    fitTo: { mode: "zoom", value: scale },
  });
  try {
    const image = resvg.render();
    try {
      return image.asPng();
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}

function checkScale(scale: number): number {
  if (typeof scale !== "number" || !Number.isFinite(scale) || scale <= 0 || scale > MAX_SCALE) {
    throw new KitInputError(`PNG scale must be a number in (0, ${MAX_SCALE}], got ${describe(scale)}`);
  }
  return scale;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "number" ? String(value) : typeof value;
}

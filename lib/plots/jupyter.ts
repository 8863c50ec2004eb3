/**
 * Showing charts in notebooks on the Deno Jupyter kernel. The MIME bundle carries the Vega-Lite spec
 * (interactive where the front end has a Vega renderer, as JupyterLab does) and a PNG, so the picture also
 * shows where none exists: nbconvert HTML, GitHub's notebook viewer.
 *
 * @module
 */
import { renderPng } from "./render.ts";
import type { VegaLiteSpec } from "./types.ts";

/**
 * The MIME type JupyterLab's bundled Vega renderer registers. The spec goes in unchanged with its v6
 * `$schema`: vega-embed then logs a version warning but renders it, since the builders use no v6-only feature.
 */
export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";

/** The Jupyter MIME bundle {@link display} shows (and returns). */
export interface DisplayBundle {
  /** The Vega-Lite spec, for front ends that render it. */
  [VEGA_LITE_MIME]: VegaLiteSpec;
  /** Base64 PNG of the chart, the fallback for front ends without a Vega renderer. */
  "image/png": string;
  /** The chart's title (or `"Vega-Lite chart"`). */
  "text/plain": string;
}

/** Options for {@link display}. */
export interface DisplayOptions {
  /** PNG pixels per SVG unit (default 1: the PNG shows at the chart's own size). */
  scale?: number;
}

interface JupyterApi {
  display(obj: unknown, options?: { raw?: boolean }): Promise<void>;
}

/**
 * Shows `spec` in the current notebook cell when running under `deno jupyter`, via
 * `Deno.jupyter.display(bundle, { raw: true })`; elsewhere only builds the bundle. Returns the bundle.
 */
export async function display(spec: VegaLiteSpec, options: DisplayOptions = {}): Promise<DisplayBundle> {
  const png = await renderPng(spec, { scale: options.scale ?? 1 });
  const bundle: DisplayBundle = {
    [VEGA_LITE_MIME]: spec,
    "image/png": toBase64(png),
    "text/plain": titleText(spec.title) ?? "Vega-Lite chart",
  };
  const jupyter = jupyterApi();
  if (jupyter) await jupyter.display(bundle, { raw: true });
  return bundle;
}

/** `Deno.jupyter` exists only under `deno jupyter`; elsewhere reading it throws. */
function jupyterApi(): JupyterApi | undefined {
  try {
    const api = (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
    return typeof api?.display === "function" ? api : undefined;
  } catch {
    return undefined;
  }
}

function titleText(title: unknown): string | undefined {
  if (typeof title === "string") return title;
  if (title && typeof title === "object" && "text" in title) {
    const text = (title as { text: unknown }).text;
    if (typeof text === "string") return text;
    if (Array.isArray(text)) return text.join(" ");
  }
  return undefined;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

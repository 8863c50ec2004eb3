/**
 * The plain-JSON shape the plotting helpers pass around. No third-party type leaks into the public API:
 * a spec is a JSON object with a `$schema`, as written to `<name>.vl.json`.
 *
 * @module
 */

/** A self-contained Vega-Lite spec as plain JSON (inline `data.values`, `$schema`, width and height). */
export interface VegaLiteSpec {
  /** The Vega-Lite schema URL, e.g. `https://vega.github.io/schema/vega-lite/v6.json`. */
  $schema: string;
  /** Any other Vega-Lite property (`title`, `data`, `mark`, `encoding`, `layer`, ...). */
  [key: string]: unknown;
}

/** The Vega-Lite schema the builders write; matches the bundled vega-lite 6. */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

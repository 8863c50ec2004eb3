import { assert, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import {
  barsWithErrors,
  curvesWithBands,
  display,
  type GridBar,
  gridFigure,
  histogram,
  lineChart,
  renderPng,
  renderSvg,
  VEGA_LITE_MIME,
  VEGA_LITE_SCHEMA,
  type VegaLiteSpec,
  writeFigure,
} from "../lib/plots/mod.ts";
import { KitInputError } from "../lib/util/errors.ts";
import { fontTextWidth } from "../lib/plots/text_width.ts";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const BAR_ROWS = [
  { group: "coop nav", series: "MA-CQL", mean: 55, std: 4 },
  { group: "coop nav", series: "OMAR", mean: 65, std: 3 },
  { group: "predator-prey", series: "MA-CQL", mean: 45, std: 5 },
  { group: "predator-prey", series: "OMAR", mean: 70, std: 0 },
];

function bars(title?: string): VegaLiteSpec {
  return barsWithErrors(BAR_ROWS, {
    title,
    yTitle: "normalised score",
    reference: 50,
    referenceLabel: "ref",
  });
}

/** Counts rendered items by their ARIA role description (`bar`, `line mark`, `rule mark`, ...). */
function markCounts(svg: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of svg.matchAll(/role="graphics-symbol" aria-roledescription="([^"]+)"/g)) {
    counts[m[1]] = (counts[m[1]] ?? 0) + 1;
  }
  return counts;
}

function svgSize(svg: string): [number, number] {
  const m = svg.match(/^<svg[^>]* width="([\d.]+)" height="([\d.]+)"/);
  assert(m, "svg has width and height");
  return [Number(m[1]), Number(m[2])];
}

/** Width and height from the IHDR chunk, which follows the signature and chunk header. */
function pngSize(png: Uint8Array): [number, number] {
  assertEquals([...png.subarray(0, 8)], PNG_SIGNATURE);
  assertEquals(new TextDecoder().decode(png.subarray(12, 16)), "IHDR");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return [view.getUint32(16), view.getUint32(20)];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function assertSelfContained(spec: VegaLiteSpec): void {
  assertEquals(spec.$schema, VEGA_LITE_SCHEMA);
  assert(typeof spec.width === "number" && typeof spec.height === "number");
  const data = spec.data as { values?: unknown[] };
  assert(Array.isArray(data?.values) && data.values.length > 0, "inline data.values");
  assertPlainJson(spec, "spec");
}

/** Every leaf is a string, a finite number, a boolean or null: the spec survives JSON unchanged. */
function assertPlainJson(node: unknown, path: string): void {
  if (Array.isArray(node)) node.forEach((v, i) => assertPlainJson(v, `${path}[${i}]`));
  else if (node !== null && typeof node === "object") {
    assertEquals(Object.getPrototypeOf(node), Object.prototype, path);
    for (const [k, v] of Object.entries(node)) assertPlainJson(v, `${path}.${k}`);
  } else {
    const ok = node === null || ["string", "boolean"].includes(typeof node) ||
      (typeof node === "number" && Number.isFinite(node));
    assert(ok, `${path} is plain JSON, got ${String(node)}`);
  }
}

Deno.test("barsWithErrors: grouped bars, error bars, reference rule and label", async () => {
  const spec = bars("Fig 5");
  assertSelfContained(spec);
  const svg = await renderSvg(spec);
  for (const text of ["Fig 5", "normalised score", "coop nav", "predator-prey", "MA-CQL", "OMAR", "ref"]) {
    assert(svg.includes(`>${text}<`), `svg shows "${text}"`);
  }
  const counts = markCounts(svg);
  assertEquals(counts["bar"], 4);
  assertEquals(counts["rule mark"], 4 + 1, "one error bar per row plus the reference");
  assertEquals(counts["text mark"], 1);
  assertEquals(counts["legend"], 1);
  // Without a reference there is no dashed rule.
  const plain = await renderSvg(barsWithErrors(BAR_ROWS, { yTitle: "score" }));
  assertEquals(markCounts(plain)["rule mark"], 4);
  assertEquals(markCounts(plain)["text mark"], undefined);
});

/** A Table 1-shaped grid: 3 tasks × 4 qualities × 4 algorithms; the paper's value on some cells only. */
const TASKS = ["cooperative_navigation", "predator_prey", "world"];
const QUALITIES = ["random", "medium-replay", "medium", "expert"];
const ALGOS = ["MA-ICQ", "MA-TD3+BC", "MA-CQL", "OMAR"];
function gridBars(withPaper: (task: number, quality: number, algo: number) => boolean): GridBar[] {
  const bars: GridBar[] = [];
  // listed out of order on purpose: the figure orders by `panels`, `xs` and `series`
  for (const [a, algo] of [...ALGOS.entries()].reverse()) {
    for (const [q, quality] of QUALITIES.entries()) {
      for (const [t, task] of TASKS.entries()) {
        const mean = 10 * q + 3 * a + t;
        bars.push({
          panel: task,
          x: quality,
          series: algo,
          mean,
          std: 1 + a,
          paper: withPaper(t, q, a) ? [mean + 5, 2] : null,
        });
      }
    }
  }
  return bars;
}
const GRID_ORDER = { panels: TASKS, xs: QUALITIES, series: ALGOS };

type Layer = { mark: { type: string }; transform?: { filter?: string }[]; encoding: Record<string, unknown> };
function gridLayers(spec: VegaLiteSpec): Layer[] {
  return (spec.spec as { layer: Layer[] }).layer;
}

Deno.test("gridFigure: a panel per task, qualities along x, algorithms as grouped bars with error bars", async () => {
  const spec = gridFigure(gridBars(() => true), {
    title: "Table 1",
    yTitle: "normalised score",
    ...GRID_ORDER,
  });
  assertEquals(spec.$schema, VEGA_LITE_SCHEMA);
  assertPlainJson(spec, "spec");
  // one row of three panels: a column facet on the task, in the given order
  const facet = spec.facet as { column?: { field: string; sort: string[] } };
  assertEquals(facet.column?.field, "panel");
  assertEquals(facet.column?.sort, TASKS);
  const layers = gridLayers(spec);
  assertEquals(layers.map((l) => l.mark.type), ["bar", "rule", "point"]);
  const x = layers[0].encoding.x as { field: string; sort: string[] };
  assertEquals([x.field, x.sort], ["x", QUALITIES]);
  assertEquals((layers[0].encoding.xOffset as { sort: string[] }).sort, ALGOS);
  assertEquals((layers[0].encoding.color as { sort: string[] }).sort, ALGOS);

  const svg = await renderSvg(spec);
  for (const text of ["Table 1", "normalised score", ...TASKS, ...ALGOS, "paper", "random", "expert"]) {
    assert(svg.includes(`>${text}<`), `svg shows "${text}"`);
  }
  const counts = markCounts(svg);
  assertEquals(counts["bar"], 48);
  assertEquals(counts["rule mark"], 48, "an error bar per bar");
  assertEquals(counts["point"], 48, "a paper marker per bar");
  // "medium-replay" does not fit beside its neighbours level: it goes on two lines, level
  assert(svg.includes(">medium-<") && svg.includes(">replay<"), "medium-replay on two lines");
  assert(!/rotate\(-35/.test(svg), "no turned labels");
});

Deno.test("gridFigure: the paper's markers sit exactly on the cells with a paper value, none elsewhere", async () => {
  const some = (t: number, q: number, a: number) => (t + q + a) % 3 === 0;
  const bars = gridBars(some);
  const spec = gridFigure(bars, { yTitle: "normalised score", ...GRID_ORDER });
  const values =
    (spec.data as { values: { panel: string; x: string; series: string; paperMean: number | null }[] })
      .values;
  const marked = values.filter((v) => v.paperMean !== null).map((v) => `${v.panel}|${v.x}|${v.series}`)
    .sort();
  const expected = bars.filter((b) => b.paper).map((b) => `${b.panel}|${b.x}|${b.series}`).sort();
  assertEquals(marked, expected);
  assert(expected.length > 0 && expected.length < 48);
  for (const b of bars) {
    const v = values.find((v) => v.panel === b.panel && v.x === b.x && v.series === b.series)!;
    assertEquals(v.paperMean, b.paper ? b.paper[0] : null);
  }
  const paperLayer = gridLayers(spec)[2];
  assertEquals(paperLayer.mark.type, "point");
  assertEquals(paperLayer.transform?.[0].filter, "isValid(datum.paperMean)");
  assertEquals((paperLayer.encoding.y as { field: string }).field, "paperMean");
  // rendered: one marker per paper value, at the bar's height + 5 on a shared scale
  const svg = await renderSvg(spec);
  assertEquals(markCounts(svg)["point"], expected.length);
  assertEquals(markCounts(svg)["bar"], 48);

  // No paper values at all: no marker layer and no "paper" legend entry.
  const none = gridFigure(gridBars(() => false), { yTitle: "score", ...GRID_ORDER });
  assertEquals(gridLayers(none).map((l) => l.mark.type), ["bar", "rule"]);
  const noneSvg = await renderSvg(none);
  assertEquals(markCounts(noneSvg)["point"], undefined);
  assert(!noneSvg.includes(">paper<"), "no paper legend entry");
});

Deno.test("gridFigure: layouts of the ablations and Spread grids", async () => {
  // Fig. 5: eleven columns on one task: one panel, more colours than tableau10 has
  const columns = [
    "J=1",
    "J=2",
    "J=3,K=10,μ0=0,σ0=2",
    "J=4",
    "K=5",
    "K=20",
    "μ0=-0.5",
    "μ0=0.5",
    "σ0=1",
    "σ0=3",
  ];
  const fig5 = gridFigure(
    [...columns, "MA-CQL"].flatMap((series, i) =>
      QUALITIES.map((x) => ({ panel: "cooperative_navigation", x, series, mean: i, std: 1 }))
    ),
    { yTitle: "normalised score" },
  );
  const color = gridLayers(fig5)[0].encoding.color as { scale: { scheme: string } };
  assertEquals(color.scale.scheme, "tableau20");
  const svg5 = await renderSvg(fig5);
  assertEquals(markCounts(svg5)["bar"], 44);
  assert(svg5.includes(">J=3,K=10,μ0=0,σ0=2<"), "long column names show whole in the legend");

  // Spread, 5 tasks with long names on independent scales: two even rows (3 + 2), not 5 or 4 + 1 wide
  const tasks = [1, 2, 3, 4, 5].map((n) => `spread_1d_independent_n${n}`);
  const spread = gridFigure(
    tasks.map((panel, i) => ({ panel, x: "medium-replay", series: "MA-CQL", mean: 100 * (i + 1), std: 5 })),
    { yTitle: "score", independentY: true },
  );
  assertEquals(spread.columns, 3);
  assertEquals((spread.facet as { field: string }).field, "panel");
  assertEquals((spread.resolve as { scale: { y: string } }).scale.y, "independent");
  const svg = await renderSvg(spread);
  assertEquals(markCounts(svg)["bar"], 5);
  for (const t of tasks) assert(svg.includes(`>${t}<`), t);
  const [w] = svgSize(svg);
  assert(w < 1200, `wrapped figure stays within ~1100 px (+ axis and legend), got ${w}`);
  // the same panels on a shared scale fit one row
  const shared = gridFigure(
    tasks.slice(0, 3).map((panel) => ({ panel, x: "medium-replay", series: "MA-CQL", mean: 1, std: 0 })),
    { yTitle: "score" },
  );
  assert((shared.facet as { column?: unknown }).column, "one row: a column facet");

  // a width given too small for the labels turns them
  const narrow = gridFigure(gridBars(() => false), { yTitle: "score", width: 60, ...GRID_ORDER });
  const axis = (gridLayers(narrow)[0].encoding.x as { axis: { labelAngle: number } }).axis;
  assertEquals(axis.labelAngle, -35);
});

Deno.test("gridFigure: bad input gives a KitInputError naming the entry", () => {
  const bad = (fn: () => unknown, includes: string) =>
    assertThrows(fn, (e: unknown) => e instanceof KitInputError && e.message.includes(includes));
  const bar: GridBar = { panel: "t", x: "q", series: "s", mean: 1, std: 0 };
  bad(() => gridFigure([], { yTitle: "y" }), "bars must be a non-empty array");
  bad(() => gridFigure([{ ...bar, panel: "" }], { yTitle: "y" }), "bars[0].panel");
  bad(() => gridFigure([{ ...bar, mean: NaN }], { yTitle: "y" }), "bars[0].mean must be a finite number");
  bad(() => gridFigure([{ ...bar, paper: [1, -1] }], { yTitle: "y" }), "bars[0].paper[1] must be ≥ 0");
  bad(() => gridFigure([bar, bar], { yTitle: "y" }), 'two bars for panel "t", x "q", series "s"');
  bad(
    () => gridFigure([bar], { yTitle: "y", xs: ["other"] }),
    'options.xs must list every bar\'s xs, missing "q"',
  );
  bad(() => gridFigure([bar], { yTitle: "y", maxWidth: -1 }), "options.maxWidth");
});

Deno.test("text layout measures the bundled font: a long title takes its drawn width, not 0.8 em a character", async () => {
  const width = fontTextWidth(
    await Deno.readFile(new URL("../fixtures/fonts/DejaVuSans.ttf", import.meta.url)),
  );
  assert(width("MMMM", 10) > 2 * width("iiii", 10), "proportional widths");
  assertEquals(width("abc", 20), 2 * width("abc", 10));
  assert(Math.abs(width(" ", 1000) - 318) < 2, `DejaVu Sans's space is 0.318 em, got ${width(" ", 1000)}`);
  assertEquals(width("\u{1F600}", 10), 6, "a character the font lacks counts 0.6 em");
  const title = "A title of eighty characters, much wider than the plot area of this small chart";
  const svg = await renderSvg(barsWithErrors(BAR_ROWS, { title, yTitle: "y", width: 100 }));
  const [w] = svgSize(svg);
  const drawn = width(title, 13); // vega-lite's title font size
  assert(w < drawn + 80, `the figure is as wide as the drawn title (${drawn.toFixed(0)} px), got ${w}`);
  assert(w < 0.8 * 13 * title.length * 0.85, "narrower than Vega's estimate");
});

Deno.test("barsWithErrors: long group names go on two lines and widen the chart instead of overlapping", async () => {
  const groups = [1, 2, 3, 4, 5].map((n) => `spread_1d_independent_n${n}`);
  const spec = barsWithErrors(groups.map((group) => ({ group, series: "MA-CQL", mean: 1, std: 0.5 })), {
    yTitle: "improvement (%)",
  });
  assert((spec.width as number) > 400, "wider than the default to fit the names");
  const svg = await renderSvg(spec);
  for (const n of [1, 2, 3, 4, 5]) assert(svg.includes(`>independent_n${n}<`), `second line of task ${n}`);
  assert(svg.includes(">spread_1d_<"));
  // short names keep the default width and one line
  assertEquals(barsWithErrors(BAR_ROWS, { yTitle: "y" }).width, 400);
});

Deno.test("curvesWithBands: one band and one line per series", async () => {
  const points = [];
  for (const series of ["MA-CQL", "OMAR", "MA-TD3+BC"]) {
    for (let x = 0; x <= 5; x++) points.push({ series, x: x * 1000, mean: x, std: 0.5 });
  }
  const spec = curvesWithBands(points, { title: "Learning curves", xTitle: "step", yTitle: "return" });
  assertSelfContained(spec);
  assertEquals((spec.data as { values: unknown[] }).values.length, 18);
  const svg = await renderSvg(spec);
  for (const text of ["Learning curves", "step", "return", "MA-CQL", "OMAR", "MA-TD3+BC"]) {
    assert(svg.includes(`>${text}<`), `svg shows "${text}"`);
  }
  const counts = markCounts(svg);
  assertEquals(counts["area mark"], 3);
  assertEquals(counts["line mark"], 3);
});

Deno.test("histogram: counts bins itself; one bar per bin", async () => {
  const values = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10);
  const spec = histogram(values, { title: "Returns", xTitle: "episode return", bins: 12 });
  assertSelfContained(spec);
  const rows = (spec.data as { values: { start: number; end: number; count: number }[] }).values;
  assertEquals(rows.length, 12);
  assertEquals(rows.reduce((s, r) => s + r.count, 0), 1000);
  assertEquals(rows[0].start, Math.min(...values));
  assertEquals(rows[11].end, Math.max(...values));
  const svg = await renderSvg(spec);
  for (const text of ["Returns", "episode return", "count"]) assert(svg.includes(`>${text}<`), text);
  assertEquals(markCounts(svg)["bar"], 12);
  // All values equal: one bin around the value, still renderable.
  const flat = histogram([3, 3, 3], { xTitle: "r", bins: 1 });
  assertEquals((flat.data as { values: unknown[] }).values, [{ start: 2.5, end: 3.5, count: 3 }]);
  assertEquals(markCounts(await renderSvg(flat))["bar"], 1);
});

Deno.test("lineChart: lines per series and labelled vertical markers", async () => {
  const points = [];
  for (let i = 0; i <= 40; i++) {
    const a = -1 + i / 20;
    points.push({ series: "Q before", x: a, y: -a * a }, { series: "Q after", x: a, y: -((a - 0.3) ** 2) });
  }
  const marks = [{ x: -0.2, label: "π(o)" }, { x: 0.1, label: "after MA-CQL" }, {
    x: 0.3,
    label: "after OMAR",
  }];
  const spec = lineChart(points, { title: "Q landscape", xTitle: "action", yTitle: "Q", marks });
  assertSelfContained(spec);
  const svg = await renderSvg(spec);
  for (const text of ["Q landscape", "action", "Q before", "Q after", "π(o)", "after MA-CQL", "after OMAR"]) {
    assert(svg.includes(`>${text}<`), `svg shows "${text}"`);
  }
  const counts = markCounts(svg);
  assertEquals(counts["line mark"], 2);
  assertEquals(counts["rule mark"], 3);
  assertEquals(counts["text mark"], 6, "each label over a white halo");
  assertEquals(
    markCounts(await renderSvg(lineChart(points, { xTitle: "a", yTitle: "Q" })))["rule mark"],
    undefined,
  );
});

Deno.test("renderPng: PNG signature, size from the SVG times scale, text and data change the pixels", async () => {
  const spec = bars("Fig 5");
  const [w, h] = svgSize(await renderSvg(spec));
  const png1 = await renderPng(spec);
  assertEquals(pngSize(png1), [Math.round(w), Math.round(h)]);
  const png2 = await renderPng(spec, { scale: 2 });
  assertEquals(pngSize(png2), [Math.round(2 * w), Math.round(2 * h)]);
  assert(sameBytes(png1, await renderPng(spec)), "rendering is deterministic");

  // Text renders from the bundled font (resvg-wasm loads no system fonts): the title's words show up.
  const untitled = { ...spec };
  delete untitled.title;
  const titled = await renderPng({ ...spec, title: "Hello" });
  assert(
    !sameBytes(titled, await renderPng({ ...spec, title: "World" })),
    "different titles, different pixels",
  );
  const [uw, uh] = svgSize(await renderSvg(untitled));
  assertEquals(uw, w);
  assert(uh < h, "the title takes room");
  assert(!sameBytes(await renderPng(untitled), png1));

  // Different data, different pixels.
  const other = barsWithErrors(BAR_ROWS.map((r) => ({ ...r, mean: r.mean / 2 })), {
    title: "Fig 5",
    yTitle: "normalised score",
    reference: 50,
    referenceLabel: "ref",
  });
  assert(!sameBytes(await renderPng(other), png1));
});

Deno.test("writeFigure: writes <base>.vl.json, .svg and .png atomically, creating the directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plots_test_" });
  try {
    const spec = bars("Fig 5");
    const paths = await writeFigure(`${dir}/figs/fig5`, spec);
    assertEquals(paths, {
      spec: `${dir}/figs/fig5.vl.json`,
      svg: `${dir}/figs/fig5.svg`,
      png: `${dir}/figs/fig5.png`,
    });
    assertEquals(JSON.parse(await Deno.readTextFile(paths.spec)), spec);
    const svg = await Deno.readTextFile(paths.svg);
    assert(svg.startsWith("<svg") && svg.includes(">Fig 5<"));
    const [w, h] = svgSize(svg);
    assertEquals(pngSize(await Deno.readFile(paths.png)), [Math.round(2 * w), Math.round(2 * h)]);
    const names = [];
    for await (const e of Deno.readDir(`${dir}/figs`)) names.push(e.name);
    assertEquals(names.sort(), ["fig5.png", "fig5.svg", "fig5.vl.json"], "no temporary files left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("display: outside Jupyter, returns the MIME bundle without displaying", async () => {
  const spec = bars("Fig 5");
  const bundle = await display(spec);
  assertEquals(Object.keys(bundle).sort(), ["application/vnd.vegalite.v5+json", "image/png", "text/plain"]);
  assertEquals(bundle[VEGA_LITE_MIME], spec);
  assertEquals(bundle["text/plain"], "Fig 5");
  const png = Uint8Array.from(atob(bundle["image/png"]), (c) => c.charCodeAt(0));
  assert(sameBytes(png, await renderPng(spec)));
  assertEquals((await display(barsWithErrors(BAR_ROWS, { yTitle: "y" })))["text/plain"], "Vega-Lite chart");
});

Deno.test("bad input gives a KitInputError naming the entry", async () => {
  const bad = (fn: () => unknown, includes: string) =>
    assertThrows(fn, (e: unknown) => e instanceof KitInputError && e.message.includes(includes));
  bad(() => barsWithErrors([], { yTitle: "y" }), "rows must be a non-empty array");
  bad(
    () => barsWithErrors([{ ...BAR_ROWS[0], mean: NaN }], { yTitle: "y" }),
    "rows[0].mean must be a finite number",
  );
  bad(() => barsWithErrors([{ ...BAR_ROWS[0], std: -1 }], { yTitle: "y" }), "rows[0].std must be ≥ 0");
  bad(() => barsWithErrors([BAR_ROWS[0], BAR_ROWS[0]], { yTitle: "y" }), 'two bars for group "coop nav"');
  bad(() => barsWithErrors([{ ...BAR_ROWS[0], series: "" }], { yTitle: "y" }), "rows[0].series");
  bad(() => barsWithErrors(BAR_ROWS, { yTitle: "y", reference: Infinity }), "options.reference");
  bad(() => barsWithErrors(BAR_ROWS, { yTitle: "y", width: 0 }), "options.width");
  bad(() => curvesWithBands([], { xTitle: "x", yTitle: "y" }), "points must be a non-empty array");
  bad(
    () => curvesWithBands([{ series: "a", x: 0, mean: 1, std: NaN }], { xTitle: "x", yTitle: "y" }),
    "points[0].std",
  );
  bad(() => histogram([], { xTitle: "x" }), "values must be a non-empty array");
  bad(() => histogram([1, NaN], { xTitle: "x" }), "values[1] must be a finite number, got NaN");
  bad(() => histogram([1, 2], { xTitle: "x", bins: 0 }), "options.bins");
  bad(() => lineChart([{ series: "a", x: NaN, y: 1 }], { xTitle: "x", yTitle: "y" }), "points[0].x");
  bad(
    () =>
      lineChart([{ series: "a", x: 0, y: 1 }], { xTitle: "x", yTitle: "y", marks: [{ x: 0, label: "" }] }),
    "options.marks[0].label",
  );

  const isInputError = (includes: string) => (e: unknown) =>
    e instanceof KitInputError && e.message.includes(includes);
  await assertRejects(
    () => renderSvg(null as unknown as VegaLiteSpec),
    isInputError("must be a JSON object"),
  );
  await assertRejects(
    () => renderSvg({ $schema: VEGA_LITE_SCHEMA, data: { values: [{ a: 1 }] }, mark: "nonsense" }),
    isInputError("invalid Vega-Lite spec"),
  );
  await assertRejects(() => renderPng(bars(), { scale: 0 }), isInputError("PNG scale"));
});

Deno.test("rendering is offline: external data is refused, and a run without net or env access renders", async () => {
  const external: VegaLiteSpec = {
    $schema: VEGA_LITE_SCHEMA,
    data: { url: "https://example.com/data.json" },
    mark: "bar",
    encoding: { x: { field: "a", type: "nominal" }, y: { field: "b", type: "quantitative" } },
  };
  await assertRejects(
    () => renderSvg(external),
    (e: unknown) => e instanceof KitInputError && /self-contained/.test(e.message),
  );

  const root = new URL("../", import.meta.url);
  const script = `import { barsWithErrors, renderPng } from ${
    JSON.stringify(new URL("lib/plots/mod.ts", root).href)
  };
const png = await renderPng(barsWithErrors([{ group: "g", series: "s", mean: 1, std: 0.1 }], { title: "T", yTitle: "y" }));
console.log(png.length);`;
  const dir = await Deno.makeTempDir({ prefix: "plots_offline_" });
  try {
    await Deno.writeTextFile(`${dir}/render.ts`, script);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--no-prompt",
        `--config=${new URL("deno.json", root).pathname}`,
        "--allow-read",
        "--deny-net",
        "--deny-env",
        "--deny-sys",
        "--deny-run",
        `${dir}/render.ts`,
      ],
      cwd: root.pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert(out.success, `offline render failed: ${err}`);
    assert(Number(new TextDecoder().decode(out.stdout)) > 1000, "a non-trivial PNG");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

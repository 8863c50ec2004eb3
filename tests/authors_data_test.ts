// The `authors` dataset variant (issue #14, item 5): medium and medium-replay matched to the authors'
// datasets' returns and sizes, recorded in the manifest and in the run's dataset id.
import { assert, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import { join } from "node:path";
import { AUTHORS_DATASETS, generateDataset, stretchSegments } from "../lib/behaviour/mod.ts";
import { episodeReturns, meanOverAgents } from "../lib/data/dataset.ts";
import { gridDefaults, gridRuns } from "../lib/experiments/grid.ts";
import { datasetFolder } from "../lib/experiments/runs.ts";
import { KitInputError } from "../lib/util/errors.ts";

Deno.test("stretchSegments: whole episodes, each segment's share kept, exactly the target", () => {
  const s = stretchSegments([{ steps: 250 }, { steps: 500 }, { steps: 250 }], 4000, 25);
  assertEquals(s.map((x) => x.steps), [1000, 2000, 1000]);
  const odd = stretchSegments([{ steps: 75 }, { steps: 50 }, { steps: 25 }], 2500, 25);
  assertEquals(odd.reduce((a, x) => a + x.steps, 0), 2500);
  assert(odd.every((x) => x.steps % 25 === 0 && x.steps >= 25));
  assertEquals(odd.map((x) => x.steps), [1250, 825, 425]);
  assertThrows(() => stretchSegments([{ steps: 25 }], 2510, 25), KitInputError);
  assertThrows(() => stretchSegments([{ steps: 25 }, { steps: 25 }], 25, 25), KitInputError);
});

Deno.test("authors variant: medium returns near the authors' mean, medium-replay their exact size", async () => {
  const out = await Deno.makeTempDir({ prefix: "authors_data_" });
  try {
    const task = "cooperative_navigation", stats = AUTHORS_DATASETS[task];
    const medium = await generateDataset({
      task,
      quality: "medium",
      seed: 0,
      samples: 10_000,
      variant: "authors",
      out,
    });
    const kitMedium = await generateDataset({
      task,
      quality: "medium",
      seed: 0,
      samples: 10_000,
      out: join(out, "kit"),
    });
    const mean = (r: Float64Array) => r.reduce((a, b) => a + b, 0) / r.length;
    const m = mean(episodeReturns(medium.dataset, meanOverAgents()));
    const k = mean(episodeReturns(kitMedium.dataset, meanOverAgents()));
    // 400 episodes, std ≈ 90: the authors' 273.4 within 3 s.e.; the kit's own medium (~300) is a rung higher
    assert(Math.abs(m - stats.medium.mean) < 3 * 92 / Math.sqrt(400), `medium mean ${m}`);
    assert(k > m + 10, `kit medium ${k} vs authors-matched ${m}`);
    assertEquals(medium.dataset.meta.extra?.variant, "authors");
    assert(medium.dataset.meta.behaviourPolicy.includes("nearest the authors' medium return 273.4"));
    const replay = await generateDataset({
      task,
      quality: "medium-replay",
      seed: 0,
      variant: "authors",
      out,
    });
    assertEquals(replay.dataset.size, stats["medium-replay"].transitions);
    assert(replay.dataset.meta.behaviourPolicy.includes("stretched to the authors' 97500 transitions"));
    await assertRejects(
      () =>
        generateDataset({
          task: "spread_1d_n2",
          quality: "medium",
          seed: 0,
          samples: 100,
          variant: "authors",
          out,
        }),
      KitInputError,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("authors variant in grids: only medium and medium-replay runs change id, into their own dataset root", async () => {
  const base = { ...gridDefaults("paper"), algos: ["cql"], tasks: ["world"], seeds: 1 };
  const kit = (await gridRuns(base)).runs;
  const authors = (await gridRuns({ ...base, datasets: "authors" })).runs;
  const changed = authors.filter((r, i) => JSON.stringify(r) !== JSON.stringify(kit[i])).map((r) =>
    r.dataset.quality
  );
  assertEquals(changed.sort(), ["medium", "medium-replay"]);
  const mr = authors.find((r) => r.dataset.quality === "medium-replay")!;
  assert(datasetFolder("R", mr.dataset).includes("-authors/"), datasetFolder("R", mr.dataset));
});

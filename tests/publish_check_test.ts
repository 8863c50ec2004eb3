// `deno task check` runs tasks/publish_check.ts: the publish set must stay within JSR's limits, hold only
// the library and its data, and match fixtures/index.json (which the library checks downloads against).
import { assert, assertEquals } from "./assert.ts";
import { dataProblems, PUBLISH_LIMIT_BYTES, publishFiles, publishProblems } from "../tasks/publish_check.ts";

Deno.test("publish check: limits on the total and on one file, and files that are not the library", () => {
  const lib = { path: "lib/a.ts", bytes: 1000 };
  assertEquals(publishProblems([lib]), []);
  const half = PUBLISH_LIMIT_BYTES / 2;
  const big = [lib, { path: "fixtures/x.f32", bytes: half }, { path: "fixtures/y.f32", bytes: half }];
  assertEquals(publishProblems(big), ["the publish set holds 20.00 MB, over JSR's 20.00 MB"]);
  const huge = publishProblems([{ path: "fixtures/z.f32", bytes: PUBLISH_LIMIT_BYTES + 1 }]);
  assertEquals(huge.length, 2);
  assert(/fixtures\/z\.f32 is 20\.00 MB, over JSR's 20\.00 MB per file/.test(huge[1]), huge[1]);
  for (
    const path of ["tests/a_test.ts", "notebooks/00.ipynb", "tasks/reproduce.ts", "results/t.csv", "cache/x"]
  ) {
    assertEquals(publishProblems([{ path, bytes: 1 }]), [`${path} is not library code or data`]);
  }
});

Deno.test("publish check: the repository's publish set is within the limits and its data index is current", async () => {
  const root = new URL("../", import.meta.url).pathname;
  const files = await publishFiles(root);
  const paths = files.map((f) => f.path);
  assertEquals(publishProblems(files), []);
  assertEquals(await dataProblems(root, files), []);
  for (const p of ["mod.ts", "deno.json", "fixtures/index.json", "fixtures/fonts/DejaVuSans.ttf"]) {
    assert(paths.includes(p), `${p} is published`);
  }
  for (const p of ["lib/experiments/runs.ts", "lib/util/repo.ts", "fixtures/behaviour/halfcheetah_2x3.f32"]) {
    assert(!paths.includes(p), `${p} is not published`);
  }
});

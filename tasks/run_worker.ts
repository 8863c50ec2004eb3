/**
 * Worker process of `reproduce --jobs N`: runs one run (`<root>/runs/<id>/spec.json`) and exits.
 *
 * @module
 */
import { join } from "node:path";
import { runMain } from "../lib/util/cli.ts";
import { initBackend } from "../lib/nn/backend.ts";
import { executeRun, type RunSpec } from "../lib/experiments/runs.ts";

runMain(async () => {
  const [root, id] = Deno.args;
  const spec = JSON.parse(await Deno.readTextFile(join(root, "runs", id, "spec.json"))) as RunSpec;
  await initBackend();
  await executeRun(spec, root);
});

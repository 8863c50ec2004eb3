/**
 * Worker process of `reproduce --jobs N`: runs one run (`<root>/runs/<id>/spec.json`) and exits (code 3
 * when another process holds the run's lock).
 *
 * @module
 */
import { join } from "node:path";
import { runMain } from "../lib/util/cli.ts";
import { initBackend } from "../lib/nn/backend.ts";
import { executeRun, RunBusyError, type RunSpec } from "../lib/experiments/runs.ts";
import { WORKER_BUSY_EXIT } from "../lib/experiments/scheduler.ts";

runMain(async () => {
  const [root, id] = Deno.args;
  const spec = JSON.parse(await Deno.readTextFile(join(root, "runs", id, "spec.json"))) as RunSpec;
  await initBackend();
  try {
    await executeRun(spec, root);
  } catch (err) {
    if (err instanceof RunBusyError) return WORKER_BUSY_EXIT; // another process trains it
    throw err;
  }
});

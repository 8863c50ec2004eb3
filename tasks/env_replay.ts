/**
 * `deno task env-replay FILE.json [--prey-weights PATH] [--tolerance 1e-9]`: replays a conformance file
 * recorded from the original Python MPE and prints one JSON line of maximum absolute errors. Exit code 1
 * when any error exceeds the tolerance, 2 on bad input.
 *
 * @module
 */
import { numberFlag, parseFlags, runMain } from "../lib/util/cli.ts";
import { KitInputError } from "../lib/util/errors.ts";
import { loadPrey } from "../lib/envs/prey.ts";
import { makeTask } from "../lib/envs/registry.ts";
import { parseConformance, replayConformance, replayWithin } from "../lib/envs/replay.ts";

const USAGE = "usage: deno task env-replay FILE.json [--prey-weights PATH] [--tolerance 1e-9]";

runMain(async () => {
  const { flags, positionals } = parseFlags(Deno.args, {
    "prey-weights": { type: "string" },
    tolerance: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) return console.log(USAGE);
  if (positionals.length !== 1) throw new KitInputError(`expected one conformance file; ${USAGE}`);
  const path = positionals[0];
  const tol = numberFlag(flags, "tolerance", 1e-9, { above: 0 });
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new KitInputError(`${path}: file not found`);
    if (err instanceof Deno.errors.IsADirectory) {
      throw new KitInputError(`${path}: a directory; expected a conformance file (JSON)`);
    }
    throw err;
  }
  const file = parseConformance(text, path);
  const task = makeTask(file.task);
  const prey = task.prey === null
    ? null
    : await loadPrey(task, { source: "original", path: flags["prey-weights"] as string | undefined });
  const report = replayConformance(file, prey);
  console.log(JSON.stringify(report));
  return replayWithin(report, tol) ? 0 : 1;
});

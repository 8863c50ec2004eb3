/**
 * Where ladders and the kit's own prey live (`fixtures/behaviour/`, `fixtures/prey/`), and reading and
 * writing them.
 *
 * @module
 */
import { join } from "node:path";
import { decodeState, type EncodedState, encodeState } from "../nn/state.ts";
import { KitInputError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { REPO_ROOT } from "../util/paths.ts";
import type { Ladder, SnapshotPolicy } from "./ladder.ts";

/** The ladder file of `task` (and prey source, for tasks with a prey). */
export function ladderPath(
  task: string,
  prey: string | null,
  root: string = join(REPO_ROOT, "fixtures", "behaviour"),
): string {
  return join(root, prey ? `${task}_${prey}.json` : `${task}.json`);
}

/** Writes a ladder (float32 weights as base64). */
export async function writeLadder(path: string, ladder: Ladder): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(encodeState(ladder)) + "\n");
}

/** Reads a ladder; a missing one names the command that trains it. */
export async function readLadder(path: string): Promise<Ladder> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new KitInputError(
        `${path}: no behaviour ladder; train it with \`deno task behaviour train TASK\``,
      );
    }
    throw err;
  }
  let ladder: Ladder;
  try {
    ladder = decodeState<Ladder>(JSON.parse(text) as EncodedState);
  } catch (err) {
    throw new KitInputError(`${path}: not valid JSON (${(err as Error).message}); the file may be truncated`);
  }
  if (ladder.format !== "omar-kit-ladder-v1" || !Array.isArray(ladder.snapshots)) {
    throw new KitInputError(`${path}: expected format "omar-kit-ladder-v1" with snapshots`);
  }
  return ladder;
}

/**
 * Writes a trained prey actor in the maddpg JSON format `loadPrey` reads (an identity input BatchNorm,
 * `fc1..3` weights `[out][in]`), so the kit's prey and the original one load the same way.
 */
export async function writePrey(
  path: string,
  p: SnapshotPolicy,
  provenance: Record<string, unknown>,
): Promise<void> {
  const rows = (w: Float32Array, nOut: number, nIn: number) =>
    Array.from({ length: nOut }, (_, o) => Array.from(w.subarray(o * nIn, (o + 1) * nIn)));
  const [h1, h2] = p.hidden;
  const agent = {
    num_in: p.numIn,
    num_out: p.numOut,
    "in_fn.weight": Array(p.numIn).fill(1),
    "in_fn.bias": Array(p.numIn).fill(0),
    "in_fn.running_mean": Array(p.numIn).fill(0),
    "in_fn.running_var": Array(p.numIn).fill(1 - 1e-5),
    "fc1.weight": rows(p.w[0], h1, p.numIn),
    "fc1.bias": Array.from(p.b[0]),
    "fc2.weight": rows(p.w[1], h2, h1),
    "fc2.bias": Array.from(p.b[1]),
    "fc3.weight": rows(p.w[2], p.numOut, h2),
    "fc3.bias": Array.from(p.b[2]),
  };
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await writeFileAtomic(path, JSON.stringify({ source: "omar-kit", ...provenance, ...agent }) + "\n");
}

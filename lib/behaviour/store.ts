/**
 * Where ladders and the kit's own prey live (`fixtures/behaviour/`, `fixtures/prey/`), and reading and
 * writing them. Each is a small JSON file (settings, scores, shapes) beside a raw float32 file of its
 * weights (`<name>.f32`, named with its sha256 in the JSON's `weights` entry; see `lib/util/f32_json.ts`).
 * Ladders written before that format (weights inline as base64) still load.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { KitInputError } from "../util/errors.ts";
import { decodeFloat32Files, encodeFloat32Files } from "../util/f32_json.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { readKitData } from "../util/kit_data.ts";
import { repoRoot } from "../util/paths.ts";
import type { Ladder, SnapshotPolicy } from "./ladder.ts";

/** The ladder file name of `task` (and prey source, for tasks with a prey), e.g. `predator_prey_kit.json`. */
export function ladderFileName(task: string, prey: string | null): string {
  return prey ? `${task}_${prey}.json` : `${task}.json`;
}

/**
 * The ladder file of `task` (and prey source) in folder `root`; default the repository's
 * `fixtures/behaviour` (known only when the kit runs from a clone; {@link loadLadder} reads the kit's own
 * ladders from anywhere).
 */
export function ladderPath(task: string, prey: string | null, root?: string): string {
  return join(
    root ?? join(repoRoot("ladderPath without a folder"), "fixtures", "behaviour"),
    ladderFileName(task, prey),
  );
}

/** `<path without .json>`: the name both files of a ladder or prey share. */
function stem(path: string): string {
  const name = basename(path);
  return name.endsWith(".json") ? name.slice(0, -5) : name;
}

/** Writes a ladder: `path` (JSON) and its float32 weights beside it (`<name>.f32`). */
export async function writeLadder(path: string, ladder: Ladder): Promise<void> {
  await writeWithWeights(path, ladder as unknown as Record<string, unknown>);
}

async function writeWithWeights(path: string, value: Record<string, unknown>): Promise<void> {
  const { json, f32 } = await encodeFloat32Files(value, stem(path));
  await Deno.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(join(dirname(path), `${stem(path)}.f32`), f32); // weights first: the JSON names them
  await writeFileAtomic(path, json);
}

/** Reads a ladder file (and its weights file beside it); a missing one names the command that trains it. */
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
  return await parseLadder(text, path, (file) => readCompanion(path, file));
}

/**
 * The behaviour ladder of `task` (and prey source): from folder `dir` when given, else the kit's own
 * (`fixtures/behaviour/`, wherever the kit was loaded from: its folder, the cache or a download; see
 * `lib/util/kit_data.ts`).
 */
export async function loadLadder(task: string, prey: string | null, dir?: string): Promise<Ladder> {
  if (dir !== undefined) return await readLadder(ladderPath(task, prey, dir));
  const name = ladderFileName(task, prey);
  let text: string;
  try {
    text = new TextDecoder().decode(await readKitData(`behaviour/${name}`));
  } catch (err) {
    if (err instanceof KitInputError && /not one of the kit's data files/.test(err.message)) {
      throw new KitInputError(
        `the kit has no behaviour ladder for ${task}${prey ? ` with the ${prey} prey` : ""}; ` +
          "train one with `deno task behaviour train TASK` and pass its folder",
      );
    }
    throw err;
  }
  return await parseLadder(text, `fixtures/behaviour/${name}`, (file) => readKitData(`behaviour/${file}`));
}

async function parseLadder(
  text: string,
  where: string,
  read: (file: string) => Promise<Uint8Array>,
): Promise<Ladder> {
  const ladder = await decodeFloat32Files(text, where, read) as unknown as Ladder;
  if (ladder.format !== "omar-kit-ladder-v1" || !Array.isArray(ladder.snapshots)) {
    throw new KitInputError(`${where}: expected format "omar-kit-ladder-v1" with snapshots`);
  }
  return ladder;
}

async function readCompanion(jsonPath: string, file: string): Promise<Uint8Array> {
  const path = join(dirname(jsonPath), file);
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new KitInputError(`${jsonPath}: its weights file ${path} is missing`);
    }
    throw err;
  }
}

/**
 * Writes a trained prey actor as `loadPrey` reads it: the maddpg policy format (an identity input
 * BatchNorm, `fc1..3` weights `[out][in]` row-major), its float32 weights in `<name>.f32` beside the JSON,
 * so the kit's prey and the original one load the same way.
 */
export async function writePrey(
  path: string,
  p: SnapshotPolicy,
  provenance: Record<string, unknown>,
): Promise<void> {
  const agent = {
    num_in: p.numIn,
    num_out: p.numOut,
    "in_fn.weight": Array(p.numIn).fill(1),
    "in_fn.bias": Array(p.numIn).fill(0),
    "in_fn.running_mean": Array(p.numIn).fill(0),
    "in_fn.running_var": Array(p.numIn).fill(1 - 1e-5),
    "fc1.weight": p.w[0].slice(),
    "fc1.bias": p.b[0].slice(),
    "fc2.weight": p.w[1].slice(),
    "fc2.bias": p.b[1].slice(),
    "fc3.weight": p.w[2].slice(),
    "fc3.bias": p.b[2].slice(),
  };
  await writeWithWeights(path, { source: "omar-kit", ...provenance, ...agent });
}

/**
 * Frozen prey policies for predator-prey and world. Source `original`: the MADDPG prey OMAR loads from
 * `pretrained_adv_model.pt`, in the JSON form of shared/reference/pretrained/ (never committed here).
 * Source `kit`: a prey trained by the kit itself (`fixtures/prey/<task>.json` and its float32 weights
 * `<task>.f32`), read from wherever the kit was loaded from (`lib/util/kit_data.ts`).
 *
 * @module
 */
import { join } from "node:path";
import { KitInputError } from "../util/errors.ts";
import { decodeFloat32Files } from "../util/f32_json.ts";
import { readKitData } from "../util/kit_data.ts";
import { REFERENCE_HINT, referenceDir } from "../util/paths.ts";
import { FrozenMlpPolicy, parseMaddpgPolicy } from "./frozen_policy.ts";
import type { ParticleTask } from "./task.ts";

/** Where the frozen prey comes from. */
export type PreySource = "original" | "kit";

/** The prey sources, for validation and help texts. */
export const PREY_SOURCES: readonly PreySource[] = ["original", "kit"];

/** Options of {@link loadPrey}. */
export interface LoadPreyOptions {
  /** Which prey. Default `original`. */
  source?: PreySource;
  /**
   * For `original`: a `<task>_maddpg_policies.json` file or a folder holding it. Default:
   * `$OMAR_PRETRAINED_DIR`, else `<reference dir>/pretrained`.
   */
  path?: string;
  /** For `kit`: a folder of prey files (`<task>.json`, `<task>.f32`). Default: the kit's own (`fixtures/prey`). */
  kitDir?: string;
}

/** Loads the frozen prey of `task` (predator-prey or world). */
export async function loadPrey(task: ParticleTask, options: LoadPreyOptions = {}): Promise<FrozenMlpPolicy> {
  if (task.prey === null) throw new KitInputError(`task ${task.name} has no prey`);
  const source = options.source ?? "original";
  if (source === "kit") {
    const hint =
      `the kit's own prey for ${task.name} has not been trained yet (it is made by \`deno task behaviour train-prey ${task.name}\`); ` +
      `use the original prey (--prey original) meanwhile`;
    const name = `${task.name}.json`;
    let file: string, text: string, read: (f: string) => Promise<Uint8Array>;
    if (options.kitDir !== undefined) {
      file = join(options.kitDir, name);
      text = await readText(file, hint);
      read = async (f) => {
        try {
          return await Deno.readFile(join(options.kitDir!, f));
        } catch (err) {
          if (err instanceof Deno.errors.NotFound) {
            throw new KitInputError(`${file}: its weights file ${f} is missing`);
          }
          throw err;
        }
      };
    } else {
      file = `fixtures/prey/${name}`;
      text = new TextDecoder().decode(await readKitData(`prey/${name}`));
      read = (f) => readKitData(`prey/${f}`);
    }
    const agent = await decodeFloat32Files(text, file, read);
    for (const [k, v] of Object.entries(agent)) if (v instanceof Float32Array) agent[k] = Array.from(v);
    return new FrozenMlpPolicy(parseMaddpgPolicy(agent, file));
  }
  if (source !== "original") {
    throw new KitInputError(`unknown prey source "${source}"; expected one of: ${PREY_SOURCES.join(", ")}`);
  }
  const fileName = `${task.name}_maddpg_policies.json`;
  let path = options.path ?? Deno.env.get("OMAR_PRETRAINED_DIR");
  if (!path) {
    const ref = referenceDir();
    if (!ref) {
      throw new KitInputError(
        `original prey weights for ${task.name} not found: ${REFERENCE_HINT}; or use the kit's own prey ` +
          `(source "kit", --prey kit)`,
      );
    }
    path = join(ref, "pretrained");
  }
  const file = (await isDirectory(path)) ? join(path, fileName) : path;
  const json = parseJson(
    await readText(
      file,
      `expected ${fileName} (OMAR's pretrained_adv_model.pt converted to JSON); ${REFERENCE_HINT}`,
    ),
    file,
  );
  const agents = (json as { agents?: unknown }).agents;
  if (!Array.isArray(agents) || agents.length <= task.prey) {
    throw new KitInputError(`${file}: expected an "agents" array with the prey at index ${task.prey}`);
  }
  const prey = parseMaddpgPolicy(agents[task.prey], `${file} agent ${task.prey}`);
  if (prey.numIn !== task.obsDims[task.prey] || prey.numOut !== task.actDim) {
    throw new KitInputError(
      `${file}: prey network is ${prey.numIn}→${prey.numOut}, task ${task.name} needs ` +
        `${task.obsDims[task.prey]}→${task.actDim}`,
    );
  }
  return new FrozenMlpPolicy(prey);
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

async function readText(file: string, hint: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new KitInputError(`${file}: file not found; ${hint}`);
    throw err;
  }
}

function parseJson(text: string, file: string): Record<string, unknown> {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new KitInputError(`${file}: not valid JSON (${(err as Error).message}); the file may be truncated`);
  }
}

/**
 * The prey source to use when none is asked for: `original` when its weights can be found (option-free
 * lookup: `$OMAR_PRETRAINED_DIR` or the reference folder), else `kit`.
 */
export function defaultPreySource(task: ParticleTask): PreySource {
  const dir = Deno.env.get("OMAR_PRETRAINED_DIR") ??
    (referenceDir() ? join(referenceDir()!, "pretrained") : null);
  if (!dir) return "kit";
  try {
    return Deno.statSync(join(dir, `${task.name}_maddpg_policies.json`)).isFile ? "original" : "kit";
  } catch {
    return "kit";
  }
}

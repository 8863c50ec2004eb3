/**
 * Loading MuJoCo (the official WebAssembly build, `npm:mujoco-js@0.0.7`, MuJoCo 3.3.8) and one compiled
 * model with its data. The module is instantiated once per process (a cached promise); each
 * {@link MujocoSim} owns an `MjModel` and an `MjData`, embind objects that JavaScript's garbage collector
 * never frees, so every sim must be {@link MujocoSim.dispose}d.
 *
 * @module
 */
import loadMujocoModule from "mujoco-js";
import type * as mj from "mujoco-js";
import { KitInputError } from "../util/errors.ts";

/** The instantiated MuJoCo WebAssembly module (mujoco-js's `MainModule`). */
export type MujocoModule = mj.MainModule;
/** A compiled model (mujoco-js's `MjModel`, an embind handle: free it with `delete()`). */
export type MjModel = ReturnType<MujocoModule["MjModel"]["loadFromXML"]>;
/** A simulation state (mujoco-js's `MjData`, an embind handle: free it with `delete()`). */
export type MjData = InstanceType<MujocoModule["MjData"]>;

let modulePromise: Promise<mj.MainModule> | null = null;
let fileCounter = 0;
const VFS_DIR = "/omar-kit-mjcf";

/** The Emscripten file-system calls the kit uses; mujoco-js types `FS` only loosely. */
interface MemFs {
  mkdir(path: string): void;
  writeFile(path: string, data: string): void;
  unlink(path: string): void;
}

function memFs(mujoco: mj.MainModule): MemFs {
  return (mujoco as unknown as { FS: MemFs }).FS;
}

/**
 * The MuJoCo module, instantiated on the first call and shared afterwards (a failed load is not cached,
 * so a later call tries again).
 */
export function loadMujoco(): Promise<MujocoModule> {
  if (modulePromise === null) {
    modulePromise = loadMujocoModule().then((mujoco) => {
      memFs(mujoco).mkdir(VFS_DIR);
      return mujoco;
    }).catch((e: unknown) => {
      modulePromise = null;
      throw new Error(`could not instantiate mujoco-js (npm:mujoco-js@0.0.7): ${e}`);
    });
  }
  return modulePromise;
}

/** The loaded MuJoCo version as `mj_version()` reports it (338 for MuJoCo 3.3.8). */
export async function mujocoVersion(): Promise<number> {
  return (await loadMujoco()).mj_version();
}

/** The message of an exception thrown by the WebAssembly side (it carries only the C++ type name). */
function describe(e: unknown): string {
  if (e instanceof Error) return e.message ? `${e.name}: ${e.message}` : e.name;
  return String(e);
}

/** A simulation's dynamic state as plain numbers (see {@link MujocoSim.saveState}). */
export interface SimState {
  /** Positions. */
  qpos: number[];
  /** Velocities. */
  qvel: number[];
  /** The constraint solver's warm start (so a restored run continues bit for bit). */
  warmstart: number[];
  /** Simulation time. */
  time: number;
}

/**
 * One compiled MJCF model and its simulation state. The typed arrays that `data.qpos` and friends
 * return are fresh views on WebAssembly memory at every access; read them when needed rather than
 * keeping them across calls.
 */
export class MujocoSim {
  /** The MuJoCo module this sim belongs to. */
  readonly mujoco: MujocoModule;
  /** Name of the model (for messages). */
  readonly name: string;
  #model: MjModel | null;
  #data: MjData | null;

  private constructor(mujoco: MujocoModule, name: string, model: MjModel, data: MjData) {
    this.mujoco = mujoco;
    this.name = name;
    this.#model = model;
    this.#data = data;
  }

  /**
   * Compiles `xml` (MJCF text): writes it to MuJoCo's in-memory file system, loads it with
   * `MjModel.loadFromXML`, removes the file and allocates an `MjData`.
   */
  static async fromXml(xml: string, name = "model"): Promise<MujocoSim> {
    return MujocoSim.compile(await loadMujoco(), xml, name);
  }

  /** {@link MujocoSim.fromXml} on a module already loaded (synchronous). */
  static compile(mujoco: MujocoModule, xml: string, name = "model"): MujocoSim {
    const fs = memFs(mujoco);
    const path = `${VFS_DIR}/${name.replace(/[^A-Za-z0-9_-]/g, "_")}-${fileCounter++}.xml`;
    fs.writeFile(path, xml);
    let model: MjModel;
    try {
      model = mujoco.MjModel.loadFromXML(path);
    } catch (e) {
      throw new KitInputError(`MuJoCo rejected the MJCF of "${name}" (${describe(e)})`);
    } finally {
      fs.unlink(path);
    }
    let data: MjData;
    try {
      data = new mujoco.MjData(model);
    } catch (e) {
      model.delete();
      throw new Error(`MuJoCo could not allocate data for "${name}" (${describe(e)})`);
    }
    return new MujocoSim(mujoco, name, model, data);
  }

  /** The compiled model; throws once the sim is disposed. */
  get model(): MjModel {
    if (this.#model === null) throw new Error(`MujocoSim "${this.name}" is disposed`);
    return this.#model;
  }

  /** The simulation state; throws once the sim is disposed. */
  get data(): MjData {
    if (this.#data === null) throw new Error(`MujocoSim "${this.name}" is disposed`);
    return this.#data;
  }

  /** Whether {@link MujocoSim.dispose} has run. */
  get disposed(): boolean {
    return this.#model === null;
  }

  /** `model.opt.timestep` (the option handle is freed at once). */
  get timestep(): number {
    const opt = this.model.opt;
    try {
      return opt.timestep;
    } finally {
      opt.delete();
    }
  }

  /** Reads fields of `model.opt` through a handle that is freed afterwards. */
  readOption<T>(read: (opt: MjModel["opt"]) => T): T {
    const opt = this.model.opt;
    try {
      return read(opt);
    } finally {
      opt.delete();
    }
  }

  /** Total mass of the model's bodies (`mj_getTotalmass`). */
  totalMass(): number {
    return this.mujoco.mj_getTotalmass(this.model);
  }

  /** The id of the named body, joint, geom or actuator, or −1 when there is none. */
  id(type: "body" | "joint" | "geom" | "actuator", name: string): number {
    const o = this.mujoco.mjtObj;
    const t =
      { body: o.mjOBJ_BODY, joint: o.mjOBJ_JOINT, geom: o.mjOBJ_GEOM, actuator: o.mjOBJ_ACTUATOR }[type];
    return this.mujoco.mj_name2id(this.model, t.value, name);
  }

  /** `mj_resetData`: the model's reference configuration, zero velocity, time, controls and warm start. */
  resetData(): void {
    this.mujoco.mj_resetData(this.model, this.data);
  }

  /** `mj_forward`: recomputes every derived quantity of the current state (what `set_state` does). */
  forward(): void {
    this.mujoco.mj_forward(this.model, this.data);
  }

  /** `mj_step`, `n` times. */
  step(n = 1): void {
    const model = this.model, data = this.data, mujoco = this.mujoco;
    for (let i = 0; i < n; i++) mujoco.mj_step(model, data);
  }

  /** The dynamic state: `qpos`, `qvel`, `qacc_warmstart` and `time` (plain numbers). */
  saveState(): SimState {
    const d = this.data;
    return {
      qpos: Array.from(d.qpos as Float64Array),
      qvel: Array.from(d.qvel as Float64Array),
      warmstart: Array.from(d.qacc_warmstart as Float64Array),
      time: d.time,
    };
  }

  /** Restores {@link MujocoSim.saveState}'s output and recomputes the derived quantities (`mj_forward`). */
  loadState(s: SimState): void {
    const d = this.data;
    for (const [key, arr] of [["qpos", d.qpos], ["qvel", d.qvel], ["warmstart", d.qacc_warmstart]] as const) {
      if (!Array.isArray(s?.[key]) || s[key].length !== (arr as Float64Array).length) {
        throw new KitInputError(
          `${this.name}: state.${key} must hold ${(arr as Float64Array).length} numbers`,
        );
      }
      (arr as Float64Array).set(s[key]);
    }
    d.time = s.time;
    this.forward();
  }

  /** Frees the model and data. Safe to call more than once. */
  dispose(): void {
    this.#data?.delete();
    this.#model?.delete();
    this.#data = null;
    this.#model = null;
  }
}

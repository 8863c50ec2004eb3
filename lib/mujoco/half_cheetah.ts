/**
 * Multi-agent HalfCheetah 2x3 (MaMuJoCo, `agent_conf="2x3"`, `agent_obsk=0`) on gym's HalfCheetah-v2
 * dynamics. The MJCF is written here from the constants of the kit's spec (environments.md §4.2); it
 * runs on MuJoCo 3.3.8, not the MuJoCo 1.50 of gym 0.10.5, so returns are close to but not the same as
 * the paper's.
 *
 * Agent 0 drives the back leg (actuators bthigh, bshin, bfoot), agent 1 the front leg (fthigh, fshin,
 * ffoot). Each sees its own three joints sorted by name, `[qpos_j, qvel_j]` per joint (6 numbers); the
 * centralized state is gym's 17-D observation `[qpos[1:9], qvel[0:9]]`. Both agents get the team reward
 * `(x_after − x_before)/0.05 − 0.1 Σ a²`.
 *
 * @module
 */
import type { Rng } from "../util/rng.ts";
import { KitInputError } from "../util/errors.ts";
import { clipActions, type MujocoEnv, type MujocoEnvState, type MujocoStep, resetStream } from "./env.ts";
import { loadMujoco, type MujocoModule, MujocoSim } from "./mujoco.ts";

/** One hinge limb of the cheetah (spec §4.2's table). Angles in radians, lengths in metres. */
export interface CheetahLimb {
  /** Joint, body, geom and actuator name. */
  readonly name: string;
  /** Parent body. */
  readonly parent: string;
  /** Body position in the parent's frame. */
  readonly bodyPos: readonly [number, number, number];
  /** Joint range. */
  readonly range: readonly [number, number];
  /** Joint stiffness. */
  readonly stiffness: number;
  /** Joint damping. */
  readonly damping: number;
  /** Capsule centre in the body frame. */
  readonly geomPos: readonly [number, number, number];
  /** Capsule rotation about y (axisangle `0 1 0 θ`). */
  readonly axisAngle: number;
  /** Capsule half-length (radius is {@link CHEETAH_CAPSULE_RADIUS}). */
  readonly halfLength: number;
  /** Motor gear. */
  readonly gear: number;
}

/** Radius of every capsule of the cheetah. */
export const CHEETAH_CAPSULE_RADIUS = 0.046;

/** The six limbs in actuator order: bthigh, bshin, bfoot, fthigh, fshin, ffoot. */
export const HALF_CHEETAH_LIMBS: readonly CheetahLimb[] = [
  {
    name: "bthigh",
    parent: "torso",
    bodyPos: [-0.5, 0, 0],
    range: [-0.52, 1.05],
    stiffness: 240,
    damping: 6,
    geomPos: [0.1, 0, -0.13],
    axisAngle: -3.8,
    halfLength: 0.145,
    gear: 120,
  },
  {
    name: "bshin",
    parent: "bthigh",
    bodyPos: [0.16, 0, -0.25],
    range: [-0.785, 0.785],
    stiffness: 180,
    damping: 4.5,
    geomPos: [-0.14, 0, -0.07],
    axisAngle: -2.03,
    halfLength: 0.15,
    gear: 90,
  },
  {
    name: "bfoot",
    parent: "bshin",
    bodyPos: [-0.28, 0, -0.14],
    range: [-0.4, 0.785],
    stiffness: 120,
    damping: 3,
    geomPos: [0.03, 0, -0.097],
    axisAngle: -0.27,
    halfLength: 0.094,
    gear: 60,
  },
  {
    name: "fthigh",
    parent: "torso",
    bodyPos: [0.5, 0, 0],
    range: [-1, 0.7],
    stiffness: 180,
    damping: 4.5,
    geomPos: [-0.07, 0, -0.12],
    axisAngle: 0.52,
    halfLength: 0.133,
    gear: 120,
  },
  {
    name: "fshin",
    parent: "fthigh",
    bodyPos: [-0.14, 0, -0.24],
    range: [-1.2, 0.87],
    stiffness: 120,
    damping: 3,
    geomPos: [0.065, 0, -0.09],
    axisAngle: -0.6,
    halfLength: 0.106,
    gear: 60,
  },
  {
    name: "ffoot",
    parent: "fshin",
    bodyPos: [0.13, 0, -0.18],
    range: [-0.5, 0.5],
    stiffness: 60,
    damping: 1.5,
    geomPos: [0.045, 0, -0.07],
    axisAngle: -0.6,
    halfLength: 0.07,
    gear: 30,
  },
];

/** Simulation steps per env step (so one env step is 0.05 s). */
export const HALF_CHEETAH_FRAME_SKIP = 5;
/** MaMuJoCo's episode limit for HalfCheetah (OMAR `main.py`). */
export const HALF_CHEETAH_EPISODE_LENGTH = 1000;
/** The paper's reference scores for HalfCheetah 2x3 (its App. C), measured on MuJoCo 1.50. */
export const HALF_CHEETAH_PAPER_REFERENCES: { readonly random: number; readonly expert: number } = {
  random: -284.0,
  expert: 3568.8,
};

/** qpos/qvel index of each named joint. */
export const HALF_CHEETAH_JOINT_INDEX: Readonly<Record<string, number>> = {
  rootx: 0,
  rootz: 1,
  rooty: 2,
  bthigh: 3,
  bshin: 4,
  bfoot: 5,
  fthigh: 6,
  fshin: 7,
  ffoot: 8,
};

/** Per agent, the joints it observes, sorted by name as MaMuJoCo does (qpos/qvel indices). */
export const HALF_CHEETAH_AGENT_JOINTS: readonly (readonly number[])[] = [
  [5, 4, 3], // bfoot, bshin, bthigh
  [8, 7, 6], // ffoot, fshin, fthigh
];

const fmt = (xs: readonly number[]): string => xs.join(" ");

function limbXml(limb: CheetahLimb, children: string, indent: string): string {
  return [
    `${indent}<body name="${limb.name}" pos="${fmt(limb.bodyPos)}">`,
    `${indent}  <joint name="${limb.name}" type="hinge" axis="0 1 0" pos="0 0 0" range="${
      fmt(limb.range)
    }" ` +
    `stiffness="${limb.stiffness}" damping="${limb.damping}"/>`,
    `${indent}  <geom name="${limb.name}" type="capsule" pos="${fmt(limb.geomPos)}" ` +
    `axisangle="0 1 0 ${limb.axisAngle}" size="${CHEETAH_CAPSULE_RADIUS} ${limb.halfLength}"/>`,
    children,
    `${indent}</body>`,
  ].filter((line) => line !== "").join("\n");
}

function chainXml(parent: string, indent: string): string {
  return HALF_CHEETAH_LIMBS.filter((l) => l.parent === parent)
    .map((l) => limbXml(l, chainXml(l.name, indent + "  "), indent))
    .join("\n");
}

/** The HalfCheetah MJCF, generated from {@link HALF_CHEETAH_LIMBS} and the spec's defaults. */
export function halfCheetahXml(): string {
  const r = CHEETAH_CAPSULE_RADIUS;
  return `<mujoco model="half_cheetah">
  <compiler angle="radian" inertiafromgeom="true" settotalmass="14"/>
  <default>
    <joint armature=".1" damping=".01" limited="true" solimplimit="0 .8 .03" solreflimit=".02 1" stiffness="8"/>
    <geom conaffinity="0" condim="3" contype="1" friction=".4 .1 .1" solimp="0.0 0.8 0.01" solref="0.02 1"/>
    <motor ctrllimited="true" ctrlrange="-1 1"/>
  </default>
  <option gravity="0 0 -9.81" timestep="0.01"/>
  <worldbody>
    <geom name="floor" type="plane" conaffinity="1" condim="3" pos="0 0 0" size="40 40 40"/>
    <body name="torso" pos="0 0 .7">
      <joint name="rootx" type="slide" axis="1 0 0" pos="0 0 0" armature="0" damping="0" stiffness="0" limited="false"/>
      <joint name="rootz" type="slide" axis="0 0 1" pos="0 0 0" armature="0" damping="0" stiffness="0" limited="false"/>
      <joint name="rooty" type="hinge" axis="0 1 0" pos="0 0 0" armature="0" damping="0" stiffness="0" limited="false"/>
      <geom name="torso" type="capsule" fromto="-.5 0 0 .5 0 0" size="${r}"/>
      <geom name="head" type="capsule" pos=".6 0 .1" axisangle="0 1 0 .87" size="${r} .15"/>
${chainXml("torso", "      ")}
    </body>
  </worldbody>
  <actuator>
${
    HALF_CHEETAH_LIMBS.map((l) => `    <motor name="${l.name}" joint="${l.name}" gear="${l.gear}"/>`).join(
      "\n",
    )
  }
  </actuator>
</mujoco>
`;
}

/** Options of {@link HalfCheetahEnv.create}. */
export interface HalfCheetahOptions {
  /** Steps per episode. Default {@link HALF_CHEETAH_EPISODE_LENGTH} (1000). */
  episodeLength?: number;
}

/** HalfCheetah 2x3: two agents of three joints each, a team reward, 1000-step episodes. */
export class HalfCheetahEnv implements MujocoEnv {
  /** Environment id. */
  readonly name = "halfcheetah_2x3";
  /** Two agents: back leg, front leg. */
  readonly numAgents = 2;
  /** Six numbers each: `[qpos_j, qvel_j]` for the agent's joints sorted by name. */
  readonly obsDims: readonly number[] = [6, 6];
  /** Three motors each. */
  readonly actDims: readonly number[] = [3, 3];
  /** Three motors per agent. */
  readonly actDim = 3;
  /** gym's observation `[qpos[1:9], qvel[0:9]]`. */
  readonly stateDim = 17;
  /** Steps per episode. */
  readonly episodeLength: number;
  /** The MuJoCo model and data. */
  readonly sim: MujocoSim;
  /** Per agent, the current observation. */
  readonly obs: readonly Float64Array[] = [new Float64Array(6), new Float64Array(6)];
  /** The current 17-D state. */
  readonly state: Float64Array = new Float64Array(17);
  /** The clipped joint action of the last step (6 numbers, actuator order). */
  readonly lastAction: Float64Array = new Float64Array(6);
  readonly #rewards = new Float64Array(2);
  readonly #initQpos: Float64Array;
  readonly #dt: number;
  #t = 0;
  #started = false;

  private constructor(sim: MujocoSim, episodeLength: number) {
    this.sim = sim;
    this.episodeLength = episodeLength;
    const m = sim.model;
    if (m.nq !== 9 || m.nv !== 9 || m.nu !== 6) {
      sim.dispose();
      throw new Error(`half_cheetah model has nq=${m.nq} nv=${m.nv} nu=${m.nu}; expected 9, 9, 6`);
    }
    this.#initQpos = Float64Array.from(m.qpos0 as Float64Array);
    this.#dt = sim.timestep * HALF_CHEETAH_FRAME_SKIP;
  }

  /** Compiles the model (loading MuJoCo on first use). */
  static async create(options: HalfCheetahOptions = {}): Promise<HalfCheetahEnv> {
    return HalfCheetahEnv.fromModule(await loadMujoco(), options);
  }

  /** {@link HalfCheetahEnv.create} on a module already loaded (synchronous). */
  static fromModule(mujoco: MujocoModule, options: HalfCheetahOptions = {}): HalfCheetahEnv {
    const episodeLength = options.episodeLength ?? HALF_CHEETAH_EPISODE_LENGTH;
    if (!Number.isInteger(episodeLength) || episodeLength < 1) {
      throw new KitInputError(
        `halfcheetah_2x3: episodeLength must be a positive integer, got ${episodeLength}`,
      );
    }
    return new HalfCheetahEnv(MujocoSim.compile(mujoco, halfCheetahXml(), "half_cheetah"), episodeLength);
  }

  /** Steps taken since the last reset. */
  get t(): number {
    return this.#t;
  }

  /** The torso's x position, `qpos[0]`. */
  get x(): number {
    return this.sim.data.qpos[0];
  }

  /** gym's reset: `qpos = init_qpos + U(−0.1, 0.1)^9`, then `qvel = init_qvel + 0.1·N(0, 1)^9` (init_qvel = 0). */
  reset(source: number | Rng): readonly Float64Array[] {
    const rng = resetStream(this.name, source);
    this.sim.resetData();
    const data = this.sim.data;
    const qpos = data.qpos as Float64Array;
    for (let i = 0; i < 9; i++) qpos[i] = this.#initQpos[i] + rng.uniformRange(-0.1, 0.1);
    const qvel = data.qvel as Float64Array;
    for (let i = 0; i < 9; i++) qvel[i] = 0.1 * rng.normal();
    this.sim.forward();
    this.#t = 0;
    this.#started = true;
    this.#observe();
    return this.obs;
  }

  /** One env step: actions clipped to [−1, 1], `frame_skip` = 5 MuJoCo steps, the team reward. */
  step(actions: readonly ArrayLike<number>[]): MujocoStep {
    if (!this.#started) throw new KitInputError(`${this.name}: call reset() before step()`);
    if (this.#t >= this.episodeLength) {
      throw new KitInputError(
        `${this.name}: the episode ended after ${this.episodeLength} steps; call reset()`,
      );
    }
    const a = this.lastAction;
    clipActions(this.name, actions, this.actDims, a);
    const data = this.sim.data;
    const ctrl = data.ctrl as Float64Array;
    ctrl.set(a);
    const xBefore = (data.qpos as Float64Array)[0];
    this.sim.step(HALF_CHEETAH_FRAME_SKIP);
    const xAfter = (data.qpos as Float64Array)[0];
    let ctrlCost = 0;
    for (let i = 0; i < 6; i++) ctrlCost += a[i] * a[i];
    const reward = (xAfter - xBefore) / this.#dt - 0.1 * ctrlCost;
    this.#rewards.fill(reward);
    this.#t++;
    this.#observe();
    const done = this.#t >= this.episodeLength;
    return { obs: this.obs, rewards: this.#rewards, done, timeout: done };
  }

  /** The simulation state and the clock (see {@link MujocoEnvState}). */
  saveState(): MujocoEnvState {
    return { ...this.sim.saveState(), t: this.#t };
  }

  /** Restores {@link HalfCheetahEnv.saveState}'s output. */
  loadState(state: MujocoEnvState): void {
    this.sim.loadState(state);
    this.#t = state.t, this.#started = true;
    this.#observe();
  }

  #observe(): void {
    const data = this.sim.data;
    const qpos = data.qpos as Float64Array, qvel = data.qvel as Float64Array;
    for (let agent = 0; agent < 2; agent++) {
      const o = this.obs[agent], joints = HALF_CHEETAH_AGENT_JOINTS[agent];
      for (let k = 0; k < joints.length; k++) {
        o[2 * k] = qpos[joints[k]];
        o[2 * k + 1] = qvel[joints[k]];
      }
    }
    for (let i = 1; i < 9; i++) this.state[i - 1] = qpos[i];
    for (let i = 0; i < 9; i++) this.state[8 + i] = qvel[i];
  }

  /** Frees the MuJoCo model and data. */
  dispose(): void {
    this.sim.dispose();
  }
}

/** Allocates a {@link HalfCheetahEnv} (loading MuJoCo on first use). */
export function makeHalfCheetah(options: HalfCheetahOptions = {}): Promise<HalfCheetahEnv> {
  return HalfCheetahEnv.create(options);
}

/**
 * One SMAC-like battle: the game-tick simulation (16 ticks per second, 8 ticks per agent step), the
 * built-in enemy AI, the agents' observations, action masks, global state and SMAC's shaped reward.
 * It follows the facts of shared/spec/environments.md §5 (SMAClite's unit model, SMAC's interface);
 * nothing is ported from either code base.
 *
 * A game tick:
 * 1. targets: an agent attacking a living enemy keeps it; an attack-moving unit drops a dead target, and
 *    one out of weapon range unless that unit is attacking it back;
 * 2. intents: an attack-moving unit without a target takes the closest opposing unit within
 *    `5 + its radius` (centre distance), else one attacking it (the closest within `5 + largest radius`,
 *    else the lowest index), else walks to its attack point; a unit whose target is within weapon range
 *    (edge to edge: centre distance ≤ range + both radii) stands and attacks, otherwise walks to it;
 *    move commands walk to their point (arriving exactly), stop and no-op stand still;
 * 3. movement at full speed, then a push-out of overlapping units (each of a pair moves half the overlap
 *    apart, one pass in index order; SMAClite uses RVO2 avoidance), then a unit whose centre left the
 *    walkable ground slides back along one axis or stays put;
 * 4. the living units in an order shuffled by the battle's seeded stream: weapon and shield timers count
 *    down, shields regrow 2/s after 10 s unhit, hp regenerates (zerglings), then a standing attacker whose
 *    weapon is ready attacks: `attacks` hits of damage + bonus on the target, or on every opposing unit
 *    the colossus's line splash touches; a unit killed earlier in the tick no longer acts.
 *
 * Reward of an agent step (every agent gets it): damage the agents dealt to enemies (shield + hp),
 * +10 per enemy killed, +200 on a win, divided by `max_reward / 20` with
 * `max_reward = 10·n_enemies + 200 + Σ enemy (hp + shield)`, so a perfect episode scores 20.
 *
 * @module
 */
import { KitInputError } from "../../util/errors.ts";
import { parseNumber } from "../../util/numbers.ts";
import { Rng, type RngState } from "../../util/rng.ts";
import {
  checkMap,
  FIELD_SIZE,
  formation,
  type ObsLayout,
  obsLayout,
  type SmacMap,
  terrainGrid,
} from "./maps.ts";
import { type NavGrid, navGridFor } from "./nav.ts";
import {
  applyHit,
  hitDamage,
  SCAN_RANGE,
  SHIELD_REGEN_DELAY_SECONDS,
  SHIELD_REGEN_PER_SECOND,
  TICK_SECONDS,
  UNIT_TYPES,
  type UnitType,
} from "./units.ts";

/** Game ticks per agent step (SMAC's `step_mul`). */
export const STEP_MUL = 8;
/** Distance of a move action's target point (SMAC's `move_amount`). */
export const MOVE_AMOUNT = 2;
/** Observation range (centre distance, strict). */
export const SIGHT_RANGE = 9;
/** Attack actions are available for living enemies within this centre distance (SMAC's shoot range). */
export const SHOOT_RANGE = 6;
/** Reward per enemy killed, before scaling. */
export const REWARD_KILL = 10;
/** Reward for a win, before scaling. */
export const REWARD_WIN = 200;
/** The scaled reward of a perfect episode. */
export const REWARD_SCALE = 20;

/**
 * Default half-width of the spawn jitter. SMAClite spawns a fixed formation, so that a deterministic
 * policy plays the same battle in every episode (only the tick order is random); the kit moves every unit
 * by up to 0.5 on each axis so that seeded episodes differ, as SC2's do.
 */
export const DEFAULT_SPAWN_JITTER = 0.5;

/** Options of {@link SmacBattle}. */
export interface SmacBattleOptions {
  /** Half-width of the uniform spawn jitter per axis; 0 gives SMAClite's fixed formation. Default 0.5. */
  spawnJitter?: number;
}

/** How an episode ended (0 while it runs). */
export const OUTCOME = { running: 0, won: 1, lost: 2, draw: 3, timeout: 4 } as const;

/** Outcome code, see {@link OUTCOME}. */
export type SmacOutcome = typeof OUTCOME[keyof typeof OUTCOME];

/** A unit's orders, for scripted set-ups (agents get theirs from actions; enemies attack-move). */
export type SmacCommand =
  | { kind: "none" }
  | { kind: "stop" }
  | { kind: "move"; x: number; y: number }
  | { kind: "attack"; target: number }
  | { kind: "attack-move"; x: number; y: number };

/** One unit's state; units are numbered agents first, then enemies. */
export interface SmacUnitState {
  /** Unit type. */
  type: string;
  /** Whether it is an agent (false: an enemy). */
  ally: boolean;
  /** Position. */
  x: number;
  /** Position. */
  y: number;
  /** Hit points (0: dead). */
  hp: number;
  /** Shield points. */
  shield: number;
  /** Seconds until the weapon is ready. */
  cooldown: number;
  /** Seconds until shields regrow. */
  shieldCooldown: number;
  /** The unit it is attacking (unit index), or −1. */
  target: number;
}

const CMD_NONE = 0, CMD_STOP = 1, CMD_MOVE = 2, CMD_ATTACK = 3, CMD_ATTACK_MOVE = 4;
const CMD_KINDS = ["none", "stop", "move", "attack", "attack-move"] as const;
const DIRS = [[0, 1], [0, -1], [1, 0], [-1, 0]] as const; // N, S, E, W
const SHIELD_PER_TICK = SHIELD_REGEN_PER_SECOND * TICK_SECONDS;
const FAR = 2e9;

/** A battle of one map: units in typed arrays, agents `0..nA−1`, enemies `nA..nA+nE−1`. */
export class SmacBattle {
  /** The map. */
  readonly map: SmacMap;
  /** Observation, state and action sizes. */
  readonly layout: ObsLayout;
  /** Number of agents. */
  readonly numAgents: number;
  /** Number of enemies. */
  readonly numEnemies: number;
  /** Number of units (agents + enemies). */
  readonly numUnits: number;
  /** Half-width of the uniform jitter of each spawn coordinate. */
  readonly spawnJitter: number;
  /** `max_reward` of SMAC's reward scaling. */
  readonly maxReward: number;
  /** Positions. */
  readonly x: Float64Array;
  /** Positions. */
  readonly y: Float64Array;
  /** Hit points. */
  readonly hp: Float64Array;
  /** Shields. */
  readonly shield: Float64Array;
  /** Weapon cooldowns (s). */
  readonly cooldown: Float64Array;
  /** Shield regeneration delays (s). */
  readonly shieldCooldown: Float64Array;
  /** Each unit's current target, or −1. */
  readonly target: Int32Array;
  /** Each agent's last action (−1 before the first step). */
  readonly lastAction: Int32Array;
  /** Agent steps taken. */
  t = 0;
  /** Outcome so far. */
  outcome: SmacOutcome = OUTCOME.running;

  readonly #types: UnitType[];
  readonly #typeBit: Int32Array;
  readonly #radius: Float64Array;
  readonly #maxRadius: number;
  readonly #dmg: Float64Array;
  readonly #nav: NavGrid;
  readonly #wp = new Float64Array(2);
  readonly #spawn: number[];
  readonly #vx: Float64Array;
  readonly #vy: Float64Array;
  readonly #px: Float64Array;
  readonly #py: Float64Array;
  readonly #attacking: Uint8Array;
  readonly #cmd: Uint8Array;
  readonly #cmdX: Float64Array;
  readonly #cmdY: Float64Array;
  readonly #cmdTarget: Int32Array;
  readonly #order: Int32Array;
  #rng: Rng | null = null;

  /** A battle of `map` (checked); call {@link SmacBattle.reset} before stepping. */
  constructor(map: SmacMap, options: SmacBattleOptions = {}) {
    this.map = checkMap(map);
    this.spawnJitter = parseNumber("SMAC spawnJitter", options.spawnJitter ?? DEFAULT_SPAWN_JITTER, {
      min: 0,
    });
    this.layout = obsLayout(map);
    const nA = map.allies.length, nE = map.enemies.length, U = nA + nE;
    this.numAgents = nA, this.numEnemies = nE, this.numUnits = U;
    this.#types = [...map.allies, ...map.enemies].map((t) => UNIT_TYPES[t]);
    this.#typeBit = Int32Array.from(this.#types, (t) => map.typeIds[t.name] ?? -1);
    this.#radius = Float64Array.from(this.#types, (t) => t.size / 2);
    this.#maxRadius = Math.max(...this.#radius);
    this.#dmg = new Float64Array(U * U);
    for (let a = 0; a < U; a++) {
      for (let b = 0; b < U; b++) this.#dmg[a * U + b] = hitDamage(this.#types[a], this.#types[b]);
    }
    this.maxReward = REWARD_KILL * nE + REWARD_WIN +
      map.enemies.reduce((s, t) => s + UNIT_TYPES[t].hp + UNIT_TYPES[t].shield, 0);
    this.#nav = navGridFor(terrainGrid(map.terrain));
    this.#spawn = [
      ...formation(map.allies, map.allySpawn[0], map.allySpawn[1], false),
      ...formation(map.enemies, map.enemySpawn[0], map.enemySpawn[1], true),
    ];
    const f = () => new Float64Array(U);
    this.x = f(),
      this.y = f(),
      this.hp = f(),
      this.shield = f(),
      this.cooldown = f(),
      this.shieldCooldown = f();
    this.#vx = f(), this.#vy = f(), this.#px = f(), this.#py = f(), this.#cmdX = f(), this.#cmdY = f();
    this.target = new Int32Array(U);
    this.#cmdTarget = new Int32Array(U);
    this.#attacking = new Uint8Array(U);
    this.#cmd = new Uint8Array(U);
    this.#order = new Int32Array(U);
    this.lastAction = new Int32Array(nA);
  }

  /** The unit type of unit `u`. */
  unitType(u: number): UnitType {
    return this.#types[u];
  }

  /** Whether unit `u` is an agent. */
  isAlly(u: number): boolean {
    return u < this.numAgents;
  }

  /** Whether unit `u` is alive. */
  alive(u: number): boolean {
    return this.hp[u] > 0;
  }

  /**
   * Starts a battle: every unit at its formation point moved by `U(−j, j)` on each axis
   * (`j` = {@link SmacBattle.spawnJitter}; a draw that would leave walkable ground is not applied), full hp
   * and shields, agents idle, enemies attack-moving to the attack point. The jitter and then every tick's
   * order are drawn from `rng`, which the battle keeps (pass one it may own).
   */
  reset(rng: Rng): void {
    this.#rng = rng;
    const spawnJitter = this.spawnJitter;
    const [ax, ay] = this.map.attackPoint;
    for (let u = 0; u < this.numUnits; u++) {
      const t = this.#types[u];
      this.x[u] = this.#spawn[2 * u], this.y[u] = this.#spawn[2 * u + 1];
      if (spawnJitter > 0) {
        const jx = this.x[u] + rng.uniformRange(-spawnJitter, spawnJitter);
        const jy = this.y[u] + rng.uniformRange(-spawnJitter, spawnJitter);
        if (this.walkable(jx, jy)) this.x[u] = jx, this.y[u] = jy;
      }
      this.hp[u] = t.hp, this.shield[u] = t.shield;
      this.cooldown[u] = 0, this.shieldCooldown[u] = 0, this.target[u] = -1;
      if (this.isAlly(u)) this.#setCommand(u, CMD_NONE, 0, 0, -1);
      else this.#setCommand(u, CMD_ATTACK_MOVE, ax, ay, -1);
    }
    this.lastAction.fill(-1);
    this.t = 0;
    this.outcome = OUTCOME.running;
  }

  /** Overrides unit `u`'s state (scripted set-ups and tests); omitted fields stay. */
  setUnit(u: number, s: Partial<Omit<SmacUnitState, "type" | "ally">>): void {
    this.#checkUnit(u);
    if (s.x !== undefined) this.x[u] = s.x;
    if (s.y !== undefined) this.y[u] = s.y;
    if (s.hp !== undefined) this.hp[u] = Math.max(0, s.hp);
    if (s.shield !== undefined) this.shield[u] = s.shield;
    if (s.cooldown !== undefined) this.cooldown[u] = s.cooldown;
    if (s.shieldCooldown !== undefined) this.shieldCooldown[u] = s.shieldCooldown;
    if (s.target !== undefined) this.target[u] = s.target;
  }

  /** Gives unit `u` an order (agents' orders are replaced by their next action). */
  setCommand(u: number, c: SmacCommand): void {
    this.#checkUnit(u);
    switch (c.kind) {
      case "none":
        return this.#setCommand(u, CMD_NONE, 0, 0, -1);
      case "stop":
        return this.#setCommand(u, CMD_STOP, 0, 0, -1);
      case "move":
        return this.#setCommand(u, CMD_MOVE, c.x, c.y, -1);
      case "attack":
        this.#checkUnit(c.target);
        return this.#setCommand(u, CMD_ATTACK, 0, 0, c.target);
      case "attack-move":
        return this.#setCommand(u, CMD_ATTACK_MOVE, c.x, c.y, -1);
    }
  }

  /** Unit `u`'s order. */
  command(u: number): SmacCommand {
    const kind = CMD_KINDS[this.#cmd[u]];
    if (kind === "move" || kind === "attack-move") return { kind, x: this.#cmdX[u], y: this.#cmdY[u] };
    if (kind === "attack") return { kind, target: this.#cmdTarget[u] };
    return { kind };
  }

  /** Unit `u`'s state as a plain object. */
  unit(u: number): SmacUnitState {
    this.#checkUnit(u);
    return {
      type: this.#types[u].name,
      ally: this.isAlly(u),
      x: this.x[u],
      y: this.y[u],
      hp: this.hp[u],
      shield: this.shield[u],
      cooldown: this.cooldown[u],
      shieldCooldown: this.shieldCooldown[u],
      target: this.target[u],
    };
  }

  /** Whether `target` is within `u`'s weapon range: centre distance ≤ range + both radii. */
  inAttackRange(u: number, target: number): boolean {
    const dx = this.x[target] - this.x[u], dy = this.y[target] - this.y[u];
    const r = this.#types[u].range + this.#radius[u] + this.#radius[target];
    return dx * dx + dy * dy <= r * r;
  }

  /** Whether cell-walkable ground lies under `(x, y)`. */
  walkable(x: number, y: number): boolean {
    return this.#nav.walkable(x, y);
  }

  /** Whether agent `a` may move in direction `dir` (0 N, 1 S, 2 E, 3 W): the ground 1 ahead is walkable. */
  canMove(a: number, dir: number): boolean {
    const d = DIRS[dir];
    return this.walkable(this.x[a] + d[0] * (MOVE_AMOUNT / 2), this.y[a] + d[1] * (MOVE_AMOUNT / 2));
  }

  /**
   * Writes agent `a`'s available actions (1/0) into `out` from `off`: a dead agent, or any agent once the
   * episode is over, has only the no-op; a living one has stop, the moves onto walkable ground and the
   * attacks on living enemies within {@link SHOOT_RANGE}.
   */
  availActions(a: number, out: Uint8Array | Float64Array, off: number): void {
    const nA = this.numAgents, n = this.layout.numActions;
    for (let k = 0; k < n; k++) out[off + k] = 0;
    if (this.outcome !== OUTCOME.running || !(this.hp[a] > 0)) {
      out[off] = 1;
      return;
    }
    out[off + 1] = 1;
    for (let d = 0; d < 4; d++) out[off + 2 + d] = this.canMove(a, d) ? 1 : 0;
    const r2 = SHOOT_RANGE * SHOOT_RANGE;
    for (let k = 0; k < this.numEnemies; k++) {
      const e = nA + k;
      if (!(this.hp[e] > 0)) continue;
      const dx = this.x[e] - this.x[a], dy = this.y[e] - this.y[a];
      out[off + 6 + k] = dx * dx + dy * dy <= r2 ? 1 : 0;
    }
  }

  /** Whether agent `a` may take `action` now. */
  isAvailable(a: number, action: number): boolean {
    if (!Number.isInteger(action) || action < 0 || action >= this.layout.numActions) return false;
    if (this.outcome !== OUTCOME.running || !(this.hp[a] > 0)) return action === 0;
    if (action === 0) return false;
    if (action === 1) return true;
    if (action < 6) return this.canMove(a, action - 2);
    const e = this.numAgents + action - 6;
    if (!(this.hp[e] > 0)) return false;
    const dx = this.x[e] - this.x[a], dy = this.y[e] - this.y[a];
    return dx * dx + dy * dy <= SHOOT_RANGE * SHOOT_RANGE;
  }

  /**
   * Writes agent `a`'s observation into `out` from `off` (SMAC's layout, zeros for a dead agent and for
   * units beyond sight): move flags N/S/E/W; per enemy available-to-attack, distance/9, dx/9, dy/9,
   * hp/max, [shield/max], [type one-hot]; per other agent visible, distance/9, dx/9, dy/9, hp/max,
   * [shield/max], [type one-hot]; own hp/max, [shield/max], [type one-hot].
   */
  observe(a: number, out: Float64Array, off: number): void {
    const L = this.layout, nA = this.numAgents;
    for (let k = 0; k < L.obsDim; k++) out[off + k] = 0;
    if (!(this.hp[a] > 0)) return;
    const running = this.outcome === OUTCOME.running;
    for (let d = 0; d < 4; d++) out[off + d] = running && this.canMove(a, d) ? 1 : 0;
    const ax = this.x[a], ay = this.y[a];
    for (let k = 0; k < this.numEnemies; k++) {
      const e = nA + k;
      if (!(this.hp[e] > 0)) continue;
      const dx = this.x[e] - ax, dy = this.y[e] - ay, dist = Math.sqrt(dx * dx + dy * dy);
      if (!(dist < SIGHT_RANGE)) continue;
      let o = off + L.enemyOffset + k * L.enemyFeatures;
      out[o++] = running && dist <= SHOOT_RANGE ? 1 : 0;
      o = this.#unitFeatures(e, dist, dx, dy, L.enemyShields, out, o);
    }
    for (let j = 0; j < nA; j++) {
      if (j === a || !(this.hp[j] > 0)) continue;
      const dx = this.x[j] - ax, dy = this.y[j] - ay, dist = Math.sqrt(dx * dx + dy * dy);
      if (!(dist < SIGHT_RANGE)) continue;
      let o = off + L.allyOffset + (j - (j > a ? 1 : 0)) * L.allyFeatures;
      out[o++] = 1;
      o = this.#unitFeatures(j, dist, dx, dy, L.allyShields, out, o);
    }
    let o = off + L.ownOffset;
    const t = this.#types[a];
    out[o++] = this.hp[a] / t.hp;
    if (L.allyShields) out[o++] = t.shield > 0 ? this.shield[a] / t.shield : 0;
    if (L.typeBits) out[o + this.#typeBit[a]] = 1;
  }

  #unitFeatures(
    u: number,
    dist: number,
    dx: number,
    dy: number,
    shields: boolean,
    out: Float64Array,
    o: number,
  ): number {
    const t = this.#types[u];
    out[o++] = dist / SIGHT_RANGE, out[o++] = dx / SIGHT_RANGE, out[o++] = dy / SIGHT_RANGE;
    out[o++] = this.hp[u] / t.hp;
    if (shields) out[o++] = t.shield > 0 ? this.shield[u] / t.shield : 0;
    if (this.layout.typeBits) out[o + this.#typeBit[u]] = 1;
    return o + this.layout.typeBits;
  }

  /**
   * Writes the global state into `out` from `off` (SMAC's `get_state`, zeros for dead units): per agent
   * hp/max, cooldown/max, (x − 16)/32, (y − 16)/32, [shield/max], [type]; per enemy hp/max, x, y,
   * [shield/max], [type]; then every agent's last action one-hot (zeros before the first step).
   */
  writeState(out: Float64Array, off: number): void {
    const L = this.layout, nA = this.numAgents, n = L.numActions, c = FIELD_SIZE / 2;
    for (let k = 0; k < L.stateDim; k++) out[off + k] = 0;
    for (let u = 0; u < this.numUnits; u++) {
      if (!(this.hp[u] > 0)) continue;
      const ally = u < nA, t = this.#types[u];
      let o = off +
        (ally ? u * L.allyStateFeatures : nA * L.allyStateFeatures + (u - nA) * L.enemyStateFeatures);
      out[o++] = this.hp[u] / t.hp;
      if (ally) out[o++] = this.cooldown[u] / t.cooldown;
      out[o++] = (this.x[u] - c) / FIELD_SIZE, out[o++] = (this.y[u] - c) / FIELD_SIZE;
      if (ally ? L.allyShields : L.enemyShields) out[o++] = t.shield > 0 ? this.shield[u] / t.shield : 0;
      if (L.typeBits) out[o + this.#typeBit[u]] = 1;
    }
    const base = off + nA * L.allyStateFeatures + this.numEnemies * L.enemyStateFeatures;
    for (let a = 0; a < nA; a++) if (this.lastAction[a] >= 0) out[base + a * n + this.lastAction[a]] = 1;
  }

  /**
   * One agent step: every agent's action (checked against its mask; a KitInputError names the first
   * unavailable one), then {@link STEP_MUL} game ticks, then the outcome. Returns the scaled reward.
   * An episode that is over must not be stepped.
   */
  step(actions: ArrayLike<number>, off = 0): number {
    if (this.outcome !== OUTCOME.running) {
      throw new Error("SmacBattle.step: the episode is over; reset first");
    }
    const nA = this.numAgents;
    for (let a = 0; a < nA; a++) {
      const act = actions[off + a];
      if (!this.isAvailable(a, act)) {
        throw new KitInputError(
          `${this.map.name}: agent ${a} cannot take action ${act} (${
            this.hp[a] > 0 ? "not in its available actions" : "dead agents take the no-op 0"
          })`,
        );
      }
    }
    for (let a = 0; a < nA; a++) {
      const act = actions[off + a];
      this.lastAction[a] = act;
      if (act === 0) continue;
      if (act === 1) this.#setCommand(a, CMD_STOP, 0, 0, -1);
      else if (act < 6) {
        const d = DIRS[act - 2];
        this.#setCommand(a, CMD_MOVE, this.x[a] + d[0] * MOVE_AMOUNT, this.y[a] + d[1] * MOVE_AMOUNT, -1);
      } else this.#setCommand(a, CMD_ATTACK, 0, 0, nA + act - 6);
    }
    let reward = 0;
    for (let k = 0; k < STEP_MUL; k++) reward += this.tick();
    let alliesAlive = 0, enemiesAlive = 0;
    for (let u = 0; u < this.numUnits; u++) {
      if (this.hp[u] > 0) u < nA ? alliesAlive++ : enemiesAlive++;
    }
    this.t++;
    if (enemiesAlive === 0 && alliesAlive > 0) {
      this.outcome = OUTCOME.won;
      reward += REWARD_WIN;
    } else if (alliesAlive === 0) this.outcome = enemiesAlive === 0 ? OUTCOME.draw : OUTCOME.lost;
    else if (this.t >= this.map.episodeLimit) this.outcome = OUTCOME.timeout;
    return reward / (this.maxReward / REWARD_SCALE);
  }

  /**
   * One game tick (1/16 s) as described in the module documentation. Returns the unscaled reward: damage
   * the agents dealt to enemies plus {@link REWARD_KILL} per enemy killed.
   */
  tick(): number {
    const U = this.numUnits, nA = this.numAgents;
    const { x, y, hp, target } = this;
    // 1. targets (agents first: enemies look at whom the agents attack)
    for (let u = 0; u < U; u++) {
      if (!(hp[u] > 0)) continue;
      const cmd = this.#cmd[u];
      if (cmd === CMD_ATTACK) target[u] = hp[this.#cmdTarget[u]] > 0 ? this.#cmdTarget[u] : -1;
      else if (cmd === CMD_ATTACK_MOVE) {
        const t = target[u];
        if (t >= 0 && (!(hp[t] > 0) || (target[t] !== u && !this.inAttackRange(u, t)))) target[u] = -1;
      } else target[u] = -1;
    }
    // 2. intents
    for (let u = 0; u < U; u++) {
      this.#vx[u] = 0, this.#vy[u] = 0, this.#attacking[u] = 0;
      if (!(hp[u] > 0)) continue;
      const cmd = this.#cmd[u];
      if (cmd === CMD_MOVE) this.#walkTo(u, this.#cmdX[u], this.#cmdY[u]);
      else if (cmd === CMD_ATTACK || cmd === CMD_ATTACK_MOVE) {
        if (cmd === CMD_ATTACK_MOVE && target[u] < 0) target[u] = this.#acquire(u);
        const t = target[u];
        if (t < 0) {
          if (cmd === CMD_ATTACK_MOVE) this.#walkTo(u, this.#cmdX[u], this.#cmdY[u]);
        } else if (this.inAttackRange(u, t)) this.#attacking[u] = 1;
        else this.#walkTo(u, x[t], y[t]);
      }
    }
    // 3. movement, push-out, terrain
    this.#move();
    // 4. timers, regeneration and attacks in a shuffled order
    const order = this.#order;
    let n = 0;
    for (let u = 0; u < U; u++) if (hp[u] > 0) order[n++] = u;
    const rng = this.#rng;
    if (!rng) throw new Error("SmacBattle: reset before ticking");
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const tmp = order[i];
      order[i] = order[j], order[j] = tmp;
    }
    let reward = 0;
    for (let i = 0; i < n; i++) {
      const u = order[i];
      if (!(hp[u] > 0)) continue;
      const type = this.#types[u];
      if (this.cooldown[u] > 0) this.cooldown[u] = Math.max(0, this.cooldown[u] - TICK_SECONDS);
      if (this.shieldCooldown[u] > 0) {
        this.shieldCooldown[u] = Math.max(0, this.shieldCooldown[u] - TICK_SECONDS);
      }
      if (this.shieldCooldown[u] === 0 && this.shield[u] < type.shield) {
        this.shield[u] = Math.min(this.shield[u] + SHIELD_PER_TICK, type.shield);
      }
      if (type.hpRegen > 0 && hp[u] < type.hp) hp[u] = Math.min(hp[u] + type.hpRegen * TICK_SECONDS, type.hp);
      if (!this.#attacking[u] || this.cooldown[u] > 0) continue;
      const t = target[u];
      if (!(hp[t] > 0)) continue; // killed earlier this tick: the attack is not spent on a corpse
      this.cooldown[u] = type.cooldown;
      const dealt = this.#attack(u, t);
      if (u < nA) reward += dealt;
    }
    return reward;
  }

  /** Everything needed to continue exactly (numbers only, JSON-safe). */
  saveState(): Record<string, unknown> {
    return {
      x: Array.from(this.x),
      y: Array.from(this.y),
      hp: Array.from(this.hp),
      shield: Array.from(this.shield),
      cooldown: Array.from(this.cooldown),
      shieldCooldown: Array.from(this.shieldCooldown),
      target: Array.from(this.target),
      cmd: Array.from(this.#cmd),
      cmdX: Array.from(this.#cmdX),
      cmdY: Array.from(this.#cmdY),
      cmdTarget: Array.from(this.#cmdTarget),
      lastAction: Array.from(this.lastAction),
      t: this.t,
      outcome: this.outcome,
      rng: this.#rng ? this.#rng.state() : null,
    };
  }

  /** Restores {@link SmacBattle.saveState}'s output. */
  loadState(state: Record<string, unknown>): void {
    const s = state as Record<string, number[] | number | RngState | null>;
    const U = this.numUnits;
    const arrays: [string, Float64Array | Int32Array | Uint8Array, number][] = [
      ["x", this.x, U],
      ["y", this.y, U],
      ["hp", this.hp, U],
      ["shield", this.shield, U],
      ["cooldown", this.cooldown, U],
      ["shieldCooldown", this.shieldCooldown, U],
      ["target", this.target, U],
      ["cmd", this.#cmd, U],
      ["cmdX", this.#cmdX, U],
      ["cmdY", this.#cmdY, U],
      ["cmdTarget", this.#cmdTarget, U],
      ["lastAction", this.lastAction, this.numAgents],
    ];
    for (const [k, , len] of arrays) {
      const v = s[k];
      if (!Array.isArray(v) || v.length !== len || v.some((z) => typeof z !== "number")) {
        throw new KitInputError(`SMAC battle state: "${k}" must be ${len} numbers`);
      }
    }
    if (typeof s.t !== "number" || typeof s.outcome !== "number" || !s.rng) {
      throw new KitInputError("SMAC battle state: needs t, outcome and rng");
    }
    for (const [k, arr] of arrays) arr.set(s[k] as number[]);
    this.t = s.t, this.outcome = s.outcome as SmacOutcome;
    this.#rng = Rng.fromState(s.rng as RngState);
  }

  #checkUnit(u: number): void {
    if (!Number.isInteger(u) || u < 0 || u >= this.numUnits) {
      throw new KitInputError(
        `${this.map.name}: unit index must be an integer in [0, ${this.numUnits}), got ${u}`,
      );
    }
  }

  #setCommand(u: number, kind: number, x: number, y: number, t: number): void {
    this.#cmd[u] = kind, this.#cmdX[u] = x, this.#cmdY[u] = y, this.#cmdTarget[u] = t;
  }

  /** Full speed towards `(tx, ty)` around walls, arriving exactly when the goal is in reach. */
  #walkTo(u: number, tx: number, ty: number): void {
    const wp = this.#wp;
    this.#nav.waypoint(this.x[u], this.y[u], tx, ty, wp);
    const dx = wp[0] - this.x[u], dy = wp[1] - this.y[u], d = Math.sqrt(dx * dx + dy * dy);
    if (d === 0) return;
    const speed = this.#types[u].speed, arrive = d <= speed * TICK_SECONDS && wp[0] === tx && wp[1] === ty;
    const s = arrive ? 1 / TICK_SECONDS : speed / d;
    this.#vx[u] = dx * s, this.#vy[u] = dy * s;
  }

  /** The target an attack-moving unit acquires, or −1. */
  #acquire(u: number): number {
    const nA = this.numAgents, ally = u < nA;
    const lo = ally ? nA : 0, hi = ally ? this.numUnits : nA;
    let best = -1, bestKey = Infinity;
    for (let o = lo; o < hi; o++) {
      if (!(this.hp[o] > 0)) continue;
      const dx = this.x[o] - this.x[u], dy = this.y[o] - this.y[u], d = Math.sqrt(dx * dx + dy * dy);
      let key: number;
      if (d < SCAN_RANGE + this.#radius[o]) key = d;
      else if (this.target[o] === u) key = d < SCAN_RANGE + this.#maxRadius ? d : FAR;
      else continue;
      if (key < bestKey) best = o, bestKey = key;
    }
    return best;
  }

  #move(): void {
    const U = this.numUnits, { x, y, hp } = this, r = this.#radius, px = this.#px, py = this.#py;
    for (let u = 0; u < U; u++) {
      px[u] = x[u], py[u] = y[u];
      if (hp[u] > 0) x[u] += this.#vx[u] * TICK_SECONDS, y[u] += this.#vy[u] * TICK_SECONDS;
    }
    for (let i = 0; i < U; i++) {
      if (!(hp[i] > 0)) continue;
      for (let j = i + 1; j < U; j++) {
        if (!(hp[j] > 0)) continue;
        const dx = x[j] - x[i], dy = y[j] - y[i], rr = r[i] + r[j], d2 = dx * dx + dy * dy;
        if (d2 >= rr * rr) continue;
        const d = Math.sqrt(d2);
        const nx = d > 0 ? dx / d : 1, ny = d > 0 ? dy / d : 0, half = (rr - d) / 2;
        x[i] -= nx * half, y[i] -= ny * half, x[j] += nx * half, y[j] += ny * half;
      }
    }
    for (let u = 0; u < U; u++) {
      if (!(hp[u] > 0) || this.walkable(x[u], y[u])) continue;
      if (this.walkable(x[u], py[u])) y[u] = py[u];
      else if (this.walkable(px[u], y[u])) x[u] = px[u];
      else x[u] = px[u], y[u] = py[u];
    }
  }

  /** Unit `u` attacks `t` (single target or line splash); returns the damage dealt plus kill rewards. */
  #attack(u: number, t: number): number {
    const splash = this.#types[u].splash;
    if (!splash) return this.#hit(u, t);
    // the colossus's beam: a width × height rectangle centred on the target, its long side across the
    // line of fire; it hits every opposing unit within hypot(w, h)/2 of the target's centre whose circle
    // touches the rectangle
    const dx = this.x[t] - this.x[u], dy = this.y[t] - this.y[u], d = Math.sqrt(dx * dx + dy * dy);
    const ux = d > 0 ? dx / d : 1, uy = d > 0 ? dy / d : 0;
    const hw = splash.width / 2, hh = splash.height / 2, reach = Math.hypot(splash.width, splash.height) / 2;
    const nA = this.numAgents, ally = u < nA, lo = ally ? nA : 0, hi = ally ? this.numUnits : nA;
    let dealt = 0;
    for (let o = lo; o < hi; o++) {
      if (!(this.hp[o] > 0)) continue;
      const ox = this.x[o] - this.x[t], oy = this.y[o] - this.y[t];
      if (ox * ox + oy * oy > reach * reach) continue;
      const across = Math.abs(-uy * ox + ux * oy), along = Math.abs(ux * ox + uy * oy);
      const ex = Math.max(across - hw, 0), ey = Math.max(along - hh, 0);
      if (ex * ex + ey * ey <= this.#radius[o] * this.#radius[o]) dealt += this.#hit(u, o);
    }
    return dealt;
  }

  /** `attacks` hits of `u` on `o`; returns the damage plus {@link REWARD_KILL} if `o` is an enemy it kills. */
  #hit(u: number, o: number): number {
    const type = this.#types[u], target = this.#types[o], amount = this.#dmg[u * this.numUnits + o];
    if (!(this.hp[o] > 0)) return 0;
    if (target.shield > 0) this.shieldCooldown[o] = SHIELD_REGEN_DELAY_SECONDS;
    let dealt = 0;
    for (let k = 0; k < type.attacks; k++) dealt += applyHit(this.hp, this.shield, o, amount, target.armor);
    if (this.hp[o] === 0 && o >= this.numAgents) dealt += REWARD_KILL;
    return dealt;
  }
}

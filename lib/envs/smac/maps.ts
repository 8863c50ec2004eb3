/**
 * The four maps of the paper's §4.3 (Table 7) for the kit's SMAC-like combat: which units fight, where
 * they spawn, the terrain, the enemies' attack point and SMAC's episode limits (facts from
 * shared/spec/environments.md §5: SMAClite's map files and terrains, SMAC's `smac_maps.py`). 1c3s5z is
 * not in SMAClite; it is composed here from the same unit table on 3s5z's layout.
 *
 * Coordinates: a 32 × 32 field, x east, y north. Observation and state layouts are SMAC's (see
 * {@link obsLayout}).
 *
 * @module
 */
import { KitInputError } from "../../util/errors.ts";
import { UNIT_TYPES, type UnitTypeName } from "./units.ts";

/** The paper's SMAC maps. */
export const SMAC_MAP_NAMES = ["2s3z", "3s5z", "1c3s5z", "2c_vs_64zg"] as const;

/** Name of one of the paper's SMAC maps. */
export type SmacMapName = typeof SMAC_MAP_NAMES[number];

/** Terrain presets (SMAClite's `simple` and `ravine`). */
export type TerrainName = "simple" | "ravine";

/** A battle: two groups of units, their spawn points, the terrain and the episode limit. */
export interface SmacMap {
  /** Map name (the task id is `smac_<name>`). */
  readonly name: string;
  /** The agents' unit types, in agent order (SMAC orders agents by unit type). */
  readonly allies: readonly UnitTypeName[];
  /** The enemies' unit types, in enemy order (the order of the attack actions). */
  readonly enemies: readonly UnitTypeName[];
  /** Centre of the allies' formation. */
  readonly allySpawn: readonly [number, number];
  /** Centre of the enemies' formation. */
  readonly enemySpawn: readonly [number, number];
  /** Where the enemies attack-move to. */
  readonly attackPoint: readonly [number, number];
  /** Terrain preset. */
  readonly terrain: TerrainName;
  /** Agent steps per episode before a timeout (SMAC's `limit`). */
  readonly episodeLimit: number;
  /**
   * Index of each unit type in the observations' type one-hot; empty for single-type maps (no type bits,
   * as SMAC's `unit_type_bits = 0`).
   */
  readonly typeIds: Readonly<Partial<Record<UnitTypeName, number>>>;
}

/** Field width and height. */
export const FIELD_SIZE = 32;

const STALKERS_ZEALOTS = { stalker: 0, zealot: 1 } as const;
const repeat = (t: UnitTypeName, n: number): UnitTypeName[] => Array(n).fill(t);

/** The paper's four maps (episode limits from SMAC; layouts from SMAClite, 1c3s5z on 3s5z's). */
export const SMAC_MAPS: Readonly<Record<SmacMapName, SmacMap>> = {
  "2s3z": {
    name: "2s3z",
    allies: [...repeat("stalker", 2), ...repeat("zealot", 3)],
    enemies: [...repeat("stalker", 2), ...repeat("zealot", 3)],
    allySpawn: [9, 16],
    enemySpawn: [23, 16],
    attackPoint: [9, 16],
    terrain: "simple",
    episodeLimit: 120,
    typeIds: STALKERS_ZEALOTS,
  },
  "3s5z": {
    name: "3s5z",
    allies: [...repeat("stalker", 3), ...repeat("zealot", 5)],
    enemies: [...repeat("stalker", 3), ...repeat("zealot", 5)],
    allySpawn: [9, 16],
    enemySpawn: [23, 16],
    attackPoint: [9, 16],
    terrain: "simple",
    episodeLimit: 150,
    typeIds: STALKERS_ZEALOTS,
  },
  "1c3s5z": {
    name: "1c3s5z",
    allies: ["colossus", ...repeat("stalker", 3), ...repeat("zealot", 5)],
    enemies: ["colossus", ...repeat("stalker", 3), ...repeat("zealot", 5)],
    allySpawn: [9, 16],
    enemySpawn: [23, 16],
    attackPoint: [9, 16],
    terrain: "simple",
    episodeLimit: 180,
    typeIds: { colossus: 0, stalker: 1, zealot: 2 },
  },
  "2c_vs_64zg": {
    name: "2c_vs_64zg",
    allies: repeat("colossus", 2),
    enemies: repeat("zergling", 64),
    allySpawn: [16, 16],
    enemySpawn: [16, 9],
    attackPoint: [16, 16],
    terrain: "ravine",
    episodeLimit: 400,
    typeIds: {},
  },
};

/**
 * Whether each cell is walkable, `[y · 32 + x]` (1 = walkable). `simple`: a 16-high band `8 ≤ y < 24`
 * across the field. `ravine`: an octagon-like field `6 ≤ y < 20` with cut corners and a wall at `y = 12`
 * for `4 ≤ x < 28` that separates the colossi's side from the zerglings'. The grid is shared: do not
 * modify it.
 */
export function terrainGrid(name: TerrainName): Uint8Array {
  const cached = GRIDS.get(name);
  if (cached) return cached;
  const g = new Uint8Array(FIELD_SIZE * FIELD_SIZE);
  for (let y = 0; y < FIELD_SIZE; y++) {
    for (let x = 0; x < FIELD_SIZE; x++) {
      let ok: boolean;
      if (name === "simple") ok = y >= 8 && y < 24;
      else {
        const cut = y === 6 || y === 19 ? 3 : y === 7 || y === 18 ? 2 : y === 8 || y === 17 ? 1 : 0;
        ok = y >= 6 && y < 20 && x >= cut && x < FIELD_SIZE - cut && !(y === 12 && x >= 4 && x < 28);
      }
      g[y * FIELD_SIZE + x] = ok ? 1 : 0;
    }
  }
  GRIDS.set(name, g);
  return g;
}

const GRIDS = new Map<TerrainName, Uint8Array>();

/** Sizes and offsets of the per-agent observation (SMAC's layout). */
export interface ObsLayout {
  /** Unit-type one-hot length (0 on single-type maps). */
  typeBits: number;
  /** Whether ally / enemy features carry a shield entry. */
  allyShields: boolean;
  /** Whether enemy features carry a shield entry. */
  enemyShields: boolean;
  /** Offset of the enemy features (after the 4 move flags). */
  enemyOffset: number;
  /** Per enemy: available-to-attack, distance/9, dx/9, dy/9, hp/max, [shield/max], [type one-hot]. */
  enemyFeatures: number;
  /** Offset of the ally features. */
  allyOffset: number;
  /** Per other agent: visible, distance/9, dx/9, dy/9, hp/max, [shield/max], [type one-hot]. */
  allyFeatures: number;
  /** Offset of the agent's own features: hp/max, [shield/max], [type one-hot]. */
  ownOffset: number;
  /** Observation size. */
  obsDim: number;
  /** Per agent in the state: hp/max, cooldown/max, x, y (centred, / field size), [shield/max], [type]. */
  allyStateFeatures: number;
  /** Per enemy in the state: hp/max, x, y, [shield/max], [type]. */
  enemyStateFeatures: number;
  /** Global state size: agents, enemies, then every agent's last action one-hot. */
  stateDim: number;
  /** Discrete actions: no-op, stop, move N/S/E/W, attack enemy k. */
  numActions: number;
}

/** The observation, state and action sizes of `map` (SMAC's: 2s3z gives obs 80, state 120, 11 actions). */
export function obsLayout(map: SmacMap): ObsLayout {
  const nA = map.allies.length, nE = map.enemies.length;
  const typeBits = Object.keys(map.typeIds).length;
  const allyShields = map.allies.some((t) => UNIT_TYPES[t].shield > 0);
  const enemyShields = map.enemies.some((t) => UNIT_TYPES[t].shield > 0);
  const enemyFeatures = 5 + (enemyShields ? 1 : 0) + typeBits;
  const allyFeatures = 5 + (allyShields ? 1 : 0) + typeBits;
  const enemyOffset = 4;
  const allyOffset = enemyOffset + nE * enemyFeatures;
  const ownOffset = allyOffset + (nA - 1) * allyFeatures;
  const obsDim = ownOffset + 1 + (allyShields ? 1 : 0) + typeBits;
  const numActions = 6 + nE;
  const allyStateFeatures = 4 + (allyShields ? 1 : 0) + typeBits;
  const enemyStateFeatures = 3 + (enemyShields ? 1 : 0) + typeBits;
  return {
    typeBits,
    allyShields,
    enemyShields,
    enemyOffset,
    enemyFeatures,
    allyOffset,
    allyFeatures,
    ownOffset,
    obsDim,
    allyStateFeatures,
    enemyStateFeatures,
    stateDim: nA * allyStateFeatures + nE * enemyStateFeatures + nA * numActions,
    numActions,
  };
}

/** Gap between neighbouring units of a formation. */
const GROUP_GAP = 0.05;

/**
 * Spawn positions of a group (SMAClite's formation rule): the units, in order, fill a ⌈√n⌉-wide square
 * grid row by row, touching neighbours plus a 0.05 gap, centred on `(cx, cy)`; the enemies' formation is
 * the allies' rotated by 180° (`mirror`), so equal groups face each other centre-symmetrically.
 * Returns `[x0, y0, x1, y1, …]`.
 */
export function formation(types: readonly UnitTypeName[], cx: number, cy: number, mirror: boolean): number[] {
  const side = Math.ceil(Math.sqrt(types.length));
  const rows: UnitTypeName[][] = Array.from(
    { length: side },
    (_, r) => types.slice(r * side, (r + 1) * side),
  );
  const radius = (t: UnitTypeName) => UNIT_TYPES[t].size / 2;
  const rowRadius = rows.map((row) => Math.max(0, ...row.map(radius)));
  const width = Math.max(...rows.map((row) => row.reduce((s, t) => s + UNIT_TYPES[t].size, 0)));
  const height = 2 * rowRadius.reduce((s, r) => s + r, 0) + (side - 1) * GROUP_GAP;
  const m = mirror ? -1 : 1;
  const out: number[] = [];
  let y = cy - m * height / 2, prevRow = 0;
  rows.forEach((row, i) => {
    let x = cx - m * width / 2, prevUnit = 0;
    y += m * (prevRow + rowRadius[i]);
    prevRow = rowRadius[i];
    for (const t of row) {
      x += m * (prevUnit + radius(t));
      prevUnit = radius(t);
      out.push(x, y);
      x += m * GROUP_GAP;
    }
    y += m * GROUP_GAP;
  });
  return out;
}

/** Checks a map given by a user (built-in maps pass): known units, type ids, spawns on walkable ground. */
export function checkMap(map: SmacMap): SmacMap {
  const what = `SMAC map "${map.name}"`;
  if (!map.allies?.length || !map.enemies?.length) {
    throw new KitInputError(`${what}: needs at least one ally and one enemy`);
  }
  for (const t of [...map.allies, ...map.enemies]) {
    if (!(t in UNIT_TYPES)) {
      throw new KitInputError(
        `${what}: unknown unit type "${t}"; expected one of: ${Object.keys(UNIT_TYPES)}`,
      );
    }
  }
  if (!Number.isInteger(map.episodeLimit) || map.episodeLimit < 1) {
    throw new KitInputError(`${what}: episodeLimit expects a positive integer, got ${map.episodeLimit}`);
  }
  if (map.terrain !== "simple" && map.terrain !== "ravine") {
    throw new KitInputError(`${what}: unknown terrain "${map.terrain}"; expected one of: simple, ravine`);
  }
  const ids = Object.entries(map.typeIds ?? {});
  if (ids.length > 0) {
    const bits = ids.length;
    const used = new Set(ids.map(([, v]) => v));
    if (used.size !== bits || ids.some(([, v]) => !Number.isInteger(v) || v! < 0 || v! >= bits)) {
      throw new KitInputError(`${what}: typeIds must number the types 0..${bits - 1}`);
    }
    for (const t of [...map.allies, ...map.enemies]) {
      if (map.typeIds[t] === undefined) throw new KitInputError(`${what}: typeIds lacks "${t}"`);
    }
  }
  const grid = terrainGrid(map.terrain);
  const walkable = (x: number, y: number) =>
    x >= 0 && y >= 0 && x < FIELD_SIZE && y < FIELD_SIZE &&
    grid[Math.floor(y) * FIELD_SIZE + Math.floor(x)] === 1;
  for (
    const [side, types, c] of [["ally", map.allies, map.allySpawn], [
      "enemy",
      map.enemies,
      map.enemySpawn,
    ]] as const
  ) {
    const p = formation(types, c[0], c[1], side === "enemy");
    for (let i = 0; i < p.length; i += 2) {
      if (!walkable(p[i], p[i + 1])) {
        throw new KitInputError(
          `${what}: ${side} ${i / 2} spawns off walkable ground at (${p[i]}, ${p[i + 1]})`,
        );
      }
    }
  }
  return map;
}

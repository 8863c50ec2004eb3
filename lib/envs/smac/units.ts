/**
 * The unit table and the damage arithmetic of the kit's SMAC-like combat (shared/spec/environments.md §5,
 * facts read from SMAClite's unit files and `Unit.deal_damage` / `take_damage`; no code is ported).
 *
 * Time runs in game ticks of 1/16 s. An attack is `attacks` hits of `damage + bonus` each (the bonus when
 * the target has the bonus attribute). A hit takes shield first, with no armour; the rest, minus the
 * target's armour, goes to hp (never below 0). Any hit on a unit with shields delays its shield
 * regeneration by 10 s; then shields regrow at 2 per second.
 *
 * @module
 */

/** Game ticks per second of game time. */
export const TICKS_PER_SECOND = 16;
/** Seconds per game tick. */
export const TICK_SECONDS = 1 / TICKS_PER_SECOND;
/** Shield regenerated per second once regeneration has started. */
export const SHIELD_REGEN_PER_SECOND = 2;
/** Seconds without being hit before shields regenerate. */
export const SHIELD_REGEN_DELAY_SECONDS = 10;
/** Weapon range of melee units (added to both radii, as every range). */
export const MELEE_RANGE = 0.1;
/** How far (centre distance, plus the target's radius) an attack-moving unit looks for targets. */
export const SCAN_RANGE = 5;

/** Unit attributes that damage bonuses refer to. */
export type UnitAttribute = "light" | "armored" | "massive" | "biological" | "mechanical";

/** The unit types of the four maps. */
export type UnitTypeName = "stalker" | "zealot" | "colossus" | "zergling";

/** The laser-beam splash of the colossus: a `width` × `height` rectangle centred on the target. */
export interface LineSplash {
  /** Length across the line of fire. */
  readonly width: number;
  /** Thickness along the line of fire. */
  readonly height: number;
}

/** One unit type's stats (SMAClite's unit files; times in seconds, speeds in distance per second). */
export interface UnitType {
  /** Type name. */
  readonly name: UnitTypeName;
  /** Hit points. */
  readonly hp: number;
  /** Shield points (0: none). */
  readonly shield: number;
  /** Armour subtracted from each hit's part that reaches hp. */
  readonly armor: number;
  /** Damage per hit before bonuses. */
  readonly damage: number;
  /** Hits per attack (zealot and colossus 2). */
  readonly attacks: number;
  /** Weapon cooldown in seconds. */
  readonly cooldown: number;
  /** Movement speed (distance per second). */
  readonly speed: number;
  /** Weapon range, measured between the two units' edges. */
  readonly range: number;
  /** Diameter. */
  readonly size: number;
  /** Attributes. */
  readonly attributes: readonly UnitAttribute[];
  /** Extra damage per hit against targets with the attribute. */
  readonly bonus: Readonly<Partial<Record<UnitAttribute, number>>>;
  /** Hit points regenerated per second (zergling 0.38). */
  readonly hpRegen: number;
  /** Line splash (colossus), or `null` for single-target attacks. */
  readonly splash: LineSplash | null;
}

/** The unit table (SMAClite `smaclite_units/*.json`; SMAC's stats for these units). */
export const UNIT_TYPES: Readonly<Record<UnitTypeName, UnitType>> = {
  stalker: {
    name: "stalker",
    hp: 80,
    shield: 80,
    armor: 1,
    damage: 13,
    attacks: 1,
    cooldown: 1.34,
    speed: 4.13,
    range: 6,
    size: 1.25,
    attributes: ["armored", "mechanical"],
    bonus: { armored: 5 },
    hpRegen: 0,
    splash: null,
  },
  zealot: {
    name: "zealot",
    hp: 100,
    shield: 50,
    armor: 1,
    damage: 8,
    attacks: 2,
    cooldown: 0.86,
    speed: 3.15,
    range: MELEE_RANGE,
    size: 1,
    attributes: ["light", "biological"],
    bonus: {},
    hpRegen: 0,
    splash: null,
  },
  colossus: {
    name: "colossus",
    hp: 200,
    shield: 150,
    armor: 1,
    damage: 10,
    attacks: 2,
    cooldown: 1.07,
    speed: 3.15,
    range: 7,
    size: 2,
    attributes: ["armored", "mechanical", "massive"],
    bonus: { light: 5 },
    hpRegen: 0,
    splash: { width: 2.8, height: 0.3 },
  },
  zergling: {
    name: "zergling",
    hp: 35,
    shield: 0,
    armor: 0,
    damage: 5,
    attacks: 1,
    cooldown: 0.497,
    speed: 4.13,
    range: MELEE_RANGE,
    size: 0.75,
    attributes: ["light", "biological"],
    bonus: {},
    hpRegen: 0.38,
    splash: null,
  },
};

/** Damage of one hit of `attacker` on `target`: base damage plus every bonus whose attribute the target has. */
export function hitDamage(attacker: UnitType, target: UnitType): number {
  let d = attacker.damage;
  for (const [attribute, amount] of Object.entries(attacker.bonus)) {
    if (target.attributes.includes(attribute as UnitAttribute)) d += amount as number;
  }
  return d;
}

/**
 * Applies one hit of `amount` to unit `i` whose hp and shield live in `hp[i]` and `shield[i]`: the
 * shield absorbs first (no armour), the rest minus `armor` reaches hp, floored so hp never drops below
 * 0. Returns the damage taken (shield absorbed plus hp lost); a dead unit (hp 0) takes none.
 */
export function applyHit(
  hp: Float64Array,
  shield: Float64Array,
  i: number,
  amount: number,
  armor: number,
): number {
  if (hp[i] <= 0) return 0;
  let dealt = 0;
  if (shield[i] > 0) {
    const absorbed = Math.min(amount, shield[i]);
    shield[i] -= absorbed;
    amount -= absorbed;
    dealt += absorbed;
  }
  const toHp = Math.max(0, Math.min(amount - armor, hp[i]));
  hp[i] -= toHp;
  return dealt + toHp;
}

/**
 * Checked numbers for flags and options: one rule type (integer, bounds) and one parser whose error names
 * the thing and what it expects ("--rounds expects a positive integer, got "2.5""). Used by the task CLIs
 * (`cli.ts`) and by library functions that validate their options.
 *
 * @module
 */
import { KitInputError } from "./errors.ts";

/** What a numeric flag accepts: by default any finite number. */
export interface NumberRule {
  /** Whole numbers only. */
  integer?: boolean;
  /** Smallest value allowed (inclusive). */
  min?: number;
  /** Values must be greater than this. */
  above?: number;
  /** Largest value allowed (inclusive). */
  max?: number;
}

/** "a positive integer", "a number > 0", "an integer in [1, 100]", … for error messages. */
export function describeRule(rule: NumberRule): string {
  const kind = rule.integer ? "integer" : "number";
  const { min, above, max } = rule;
  if (min !== undefined && max !== undefined) {
    return `${rule.integer ? "an" : "a"} ${kind} in [${min}, ${max}]`;
  }
  if (rule.integer && min === 1 && max === undefined) return "a positive integer";
  if (rule.integer && min === 0 && max === undefined) return "a non-negative integer";
  if (above === 0 && max === undefined) return `a positive ${kind}`;
  const parts = [
    min !== undefined ? `≥ ${min}` : "",
    above !== undefined ? `> ${above}` : "",
    max !== undefined ? `≤ ${max}` : "",
  ].filter(Boolean);
  return `${rule.integer ? "an" : "a"} ${kind}${parts.length ? " " + parts.join(" and ") : ""}`;
}

/**
 * Parses `raw` as a number obeying `rule`; anything else (text, "", NaN, ±Infinity, 2.5 for an integer,
 * a value out of range) is a {@link KitInputError} naming `what` (e.g. `--rounds`) and what it expects.
 */
export function parseNumber(what: string, raw: unknown, rule: NumberRule = {}): number {
  const value = typeof raw === "number"
    ? raw
    : typeof raw === "string" && raw.trim() !== ""
    ? Number(raw)
    : NaN;
  const ok = Number.isFinite(value) &&
    (!rule.integer || Number.isSafeInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.above === undefined || value > rule.above) &&
    (rule.max === undefined || value <= rule.max);
  if (!ok) throw new KitInputError(`${what} expects ${describeRule(rule)}, got "${raw}"`);
  return value;
}

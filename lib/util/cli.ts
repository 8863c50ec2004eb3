/**
 * Command-line parsing for the kit's tasks. The one place that imports `parseArgs`: it comes from
 * `node:util` because JSR (`@std/cli`) is unreachable from the machines the kit is built on; switching
 * is a one-line change here.
 *
 * @module
 */
import { parseArgs as nodeParseArgs } from "node:util";
import { KitInputError } from "./errors.ts";
import { type NumberRule, parseNumber } from "./numbers.ts";

export { describeRule, type NumberRule, parseNumber } from "./numbers.ts";

/** The kind of value a flag takes. */
export type FlagType = "string" | "boolean";

/** Flags a task accepts: name → type (and optional default). */
export type FlagSpec = Record<
  string,
  { type: FlagType; default?: string | boolean; short?: string; multiple?: boolean }
>;

/** Parsed command line: flag values and positional arguments. */
export interface ParsedArgs {
  /** Flag values by name (a list for flags that may repeat). */
  flags: Record<string, string | boolean | string[] | undefined>;
  /** Positional arguments in order. */
  positionals: string[];
}

/** Parses `args` against `spec`; an unknown flag or a missing value is a {@link KitInputError}. */
export function parseFlags(args: string[], spec: FlagSpec): ParsedArgs {
  try {
    const { values, positionals } = nodeParseArgs({
      args,
      options: spec,
      allowPositionals: true,
      strict: true,
    });
    return { flags: values as ParsedArgs["flags"], positionals };
  } catch (err) {
    const known = Object.keys(spec).map((k) => `--${k}`).join(", ");
    // node's messages can span lines (e.g. a negative number after a space): one line here
    const message = (err as Error).message.replace(/\s*\n\s*/g, " ");
    throw new KitInputError(`${message}; known flags: ${known}`);
  }
}

/** Reads flag `--name` as a number obeying `rule` (default: any finite number), or `fallback` when absent. */
export function numberFlag(
  flags: ParsedArgs["flags"],
  name: string,
  fallback: number,
  rule: NumberRule = {},
): number {
  const raw = flags[name];
  return raw === undefined ? fallback : parseNumber(`--${name}`, raw, rule);
}

/** Reads flag `--name` as an integer ≥ `min` (default 1), or `fallback` when absent. */
export function intFlag(flags: ParsedArgs["flags"], name: string, fallback: number, min = 1): number {
  return numberFlag(flags, name, fallback, { integer: true, min });
}

/** Deno's errors for a path that cannot be written or read as asked: reported in one line, not as a bug. */
const SYSTEM_ERRORS = [
  Deno.errors.PermissionDenied,
  Deno.errors.NotFound,
  Deno.errors.NotADirectory,
  Deno.errors.IsADirectory,
  Deno.errors.AlreadyExists,
  Deno.errors.NotCapable,
];

/** Whether `err` is an operating-system error about a path (missing, unwritable, full disk, read-only). */
export function isSystemError(err: unknown): err is Error {
  return err instanceof Error &&
    (SYSTEM_ERRORS.some((E) => err instanceof E) || /\(os error \d+\)/.test(err.message));
}

/**
 * Runs a task's `main`: a {@link KitInputError} is printed as one line (no stack) with exit code 2; an
 * operating-system error about a path (permission, read-only or full disk, a file where a folder is
 * expected) as one line with exit code 1. Other errors keep their stack: they are bugs.
 */
export async function runMain(main: () => Promise<number | void>): Promise<void> {
  try {
    const code = await main();
    if (typeof code === "number" && code !== 0) Deno.exit(code);
  } catch (err) {
    if (err instanceof KitInputError) {
      console.error(`error: ${err.message}`);
      Deno.exit(2);
    }
    if (isSystemError(err)) {
      console.error(`error: ${err.message}`);
      Deno.exit(1);
    }
    throw err;
  }
}

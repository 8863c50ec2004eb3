/**
 * Command-line parsing for the kit's tasks. The one place that imports `parseArgs`: it comes from
 * `node:util` because JSR (`@std/cli`) is unreachable from the machines the kit is built on; switching
 * is a one-line change here.
 *
 * @module
 */
import { parseArgs as nodeParseArgs } from "node:util";
import { KitInputError } from "./errors.ts";

/** The kind of value a flag takes. */
export type FlagType = "string" | "boolean";

/** Flags a task accepts: name → type (and optional default). */
export type FlagSpec = Record<string, { type: FlagType; default?: string | boolean; short?: string }>;

/** Parsed command line: flag values and positional arguments. */
export interface ParsedArgs {
  /** Flag values by name. */
  flags: Record<string, string | boolean | undefined>;
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
    throw new KitInputError(`${(err as Error).message}; known flags: ${known}`);
  }
}

/** Reads a flag as a finite number, with a clear error naming the flag. */
export function numberFlag(flags: ParsedArgs["flags"], name: string, fallback: number): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(value)) {
    throw new KitInputError(`--${name} expects a number, got "${raw}"`);
  }
  return value;
}

/**
 * Runs a task's `main`, printing a {@link KitInputError} as one line (no stack) with exit code 2.
 * Other errors keep their stack: they are bugs.
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
    throw err;
  }
}

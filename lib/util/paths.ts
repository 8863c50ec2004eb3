/**
 * Where the kit finds data it does not ship: the conformance data and the original frozen prey
 * weights (`shared/reference/`), made by running the authors' Python code. Nothing here runs at import
 * time: the repository folder is known only when the kit is loaded from files (a clone), and is asked
 * for only by the calls that need it.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { KitInputError } from "./errors.ts";

/** Whether the kit runs from a folder on disk (a clone), not from a remote URL such as JSR's. */
export function loadedFromFiles(): boolean {
  return new URL(import.meta.url).protocol === "file:";
}

/**
 * The repository root (the folder holding `deno.json`). Only known when the kit is loaded from files; a
 * {@link KitInputError} naming `what` needs it otherwise (pass a folder instead).
 */
export function repoRoot(what = "this call"): string {
  if (!loadedFromFiles()) {
    throw new KitInputError(
      `${what} needs the kit's repository folder, but the kit was loaded from ${import.meta.url}; ` +
        "pass a folder explicitly, or run from a clone of the repository",
    );
  }
  return fileURLToPath(new URL("../../", import.meta.url));
}

/**
 * The reference data folder: `$OMAR_REFERENCE_DIR` if set, else `../shared/reference` beside the
 * repository (when the kit runs from a clone). Returns `null` when neither exists.
 */
export function referenceDir(): string | null {
  const fromEnv = Deno.env.get("OMAR_REFERENCE_DIR");
  const candidates = fromEnv
    ? [fromEnv]
    : loadedFromFiles()
    ? [join(repoRoot(), "..", "shared", "reference")]
    : [];
  for (const dir of candidates) {
    try {
      if (Deno.statSync(dir).isDirectory) return dir;
    } catch {
      // not there
    }
  }
  return null;
}

/** One line telling where the reference data comes from, for skips and errors. */
export const REFERENCE_HINT =
  "reference data (made by running the authors' Python code) lives in ../shared/reference beside the repository; " +
  "set OMAR_REFERENCE_DIR to point elsewhere";

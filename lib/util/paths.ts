/**
 * Where the kit finds data it does not ship: the conformance data and the original frozen prey
 * weights (`shared/reference/`), made by running the authors' Python code.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (the folder holding `deno.json`). */
export const REPO_ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The reference data folder: `$OMAR_REFERENCE_DIR` if set, else `../shared/reference` beside the
 * repository. Returns `null` when neither exists.
 */
export function referenceDir(): string | null {
  const fromEnv = Deno.env.get("OMAR_REFERENCE_DIR");
  const candidates = fromEnv ? [fromEnv] : [join(REPO_ROOT, "..", "shared", "reference")];
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

// Locates the conformance data in ../shared/reference. Outside CI a missing folder skips the tests that
// need it with one line saying where the data comes from; with OMAR_REQUIRE_REFERENCE=1 (set by .ci/run)
// a missing folder fails them instead, so they can never skip silently in CI.
import { join } from "node:path";
import { REFERENCE_HINT, referenceDir } from "../lib/util/paths.ts";

const dir = referenceDir();
const required = Deno.env.get("OMAR_REQUIRE_REFERENCE") === "1";
if (!dir && !required) console.log(`skipping reference-data tests: ${REFERENCE_HINT}`);

/** True when reference-data tests must be skipped (data absent and not required). */
export const skipReference: boolean = !dir && !required;

/** Path of a file inside the reference folder; throws (failing the test) when the folder is absent. */
export function referencePath(...parts: string[]): string {
  if (!dir) {
    throw new Error(`reference data missing but required (OMAR_REQUIRE_REFERENCE=1): ${REFERENCE_HINT}`);
  }
  return join(dir, ...parts);
}

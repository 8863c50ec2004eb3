/**
 * Profiles of `reproduce`: how much compute a target spends. `smoke` runs end to end in minutes (CI),
 * `quick` (default) gives readable results in under an hour on a 2-core laptop, `paper` follows the
 * authors' protocol.
 *
 * @module
 */
import { checkName } from "../util/errors.ts";

/** Profile names. */
export const PROFILES = ["smoke", "quick", "paper"] as const;

/** A profile name. */
export type Profile = typeof PROFILES[number];

/** Parses a profile name with a clear error. */
export function parseProfile(name: string): Profile {
  return checkName("profile", name, PROFILES);
}

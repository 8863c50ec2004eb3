/**
 * The kit's version, read from deno.json at build time so datasets and runs record it.
 *
 * @module
 */
import config from "../../deno.json" with { type: "json" };

/** The kit's version (deno.json `version`). */
export const KIT_VERSION: string = config.version;

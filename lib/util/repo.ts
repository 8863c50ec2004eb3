/**
 * The repository root, for the repository's own tasks, experiments and tests (they always run from a
 * clone). The library never imports this module: it is not published, and the published modules ask
 * {@link repoRoot} lazily where they need the folder at all.
 *
 * @module
 */
import { repoRoot } from "./paths.ts";

/** The repository root (the folder holding `deno.json`). */
export const REPO_ROOT: string = repoRoot("the repository's tasks");

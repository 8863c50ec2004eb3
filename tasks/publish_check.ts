/**
 * `deno run --allow-read --allow-run tasks/publish_check.ts`: lists what `deno publish` would upload (its
 * dry run) and fails when the package breaks JSR's limits: more than 20 MB in total or a file over 20 MB
 * (counted as 20,000,000 bytes, the stricter reading), or when a file that is not the library or its data
 * (tests, notebooks, tasks, results, caches) slipped into the publish set. `deno task check` runs it.
 *
 * @module
 */
import { relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { KitInputError } from "../lib/util/errors.ts";

/** JSR's limit on the whole package and on any one file, in bytes. */
export const PUBLISH_LIMIT_BYTES = 20_000_000;

/** One file of the publish set. */
export interface PublishFile {
  /** Path relative to the repository root, `/`-separated. */
  path: string;
  /** Size in bytes. */
  bytes: number;
}

/** Folders and files that must never be published (the library and its data only). */
const NEVER = [/^tests\//, /^notebooks\//, /^tasks\//, /^results\//, /^cache\//, /^\.ci\//, /^\.git/];

/** The repository root (this file lives in `tasks/`). */
export function repositoryRoot(): string {
  return fromFileUrl(new URL("../", import.meta.url));
}

/** The files `deno publish --dry-run` would upload from `root`, with their sizes. */
export async function publishFiles(root: string = repositoryRoot()): Promise<PublishFile[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`deno publish --dry-run failed:\n${text}`);
  const files: PublishFile[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(file:\/\/\S+) \([^)]*\)\s*$/.exec(line.replace(/\x1b\[[0-9;]*m/g, ""));
    if (!m) continue;
    const abs = fromFileUrl(m[1]);
    files.push({ path: relative(root, abs).replaceAll("\\", "/"), bytes: (await Deno.stat(abs)).size });
  }
  if (files.length === 0) throw new Error(`deno publish --dry-run listed no files:\n${text}`);
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** What is wrong with a publish set (empty when it is within the limits and holds only library files). */
export function publishProblems(files: PublishFile[], limit: number = PUBLISH_LIMIT_BYTES): string[] {
  const problems: string[] = [];
  const total = files.reduce((s, f) => s + f.bytes, 0);
  if (total > limit) problems.push(`the publish set holds ${mb(total)} MB, over JSR's ${mb(limit)} MB`);
  for (const f of files) {
    if (f.bytes > limit) problems.push(`${f.path} is ${mb(f.bytes)} MB, over JSR's ${mb(limit)} MB per file`);
    if (NEVER.some((re) => re.test(f.path))) problems.push(`${f.path} is not library code or data`);
  }
  return problems;
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(2);
}

if (import.meta.main) {
  const files = await publishFiles();
  const total = files.reduce((s, f) => s + f.bytes, 0);
  const problems = publishProblems(files);
  if (Deno.args.includes("--list")) for (const f of files) console.log(`${f.bytes}\t${f.path}`);
  console.log(`publish set: ${files.length} files, ${mb(total)} MB (limit ${mb(PUBLISH_LIMIT_BYTES)} MB)`);
  if (problems.length > 0) {
    console.error(new KitInputError(`publish set breaks JSR's rules:\n  ${problems.join("\n  ")}`).message);
    Deno.exit(1);
  }
}

/**
 * `deno task publish-check [--list] [--write-index]`: lists what `deno publish` would upload (its dry run)
 * and fails when
 *
 * - the package breaks JSR's limits: more than 20 MB in total or a file over 20 MB (counted as
 *   20,000,000 bytes, the stricter reading);
 * - a file that is not the library or its data (tests, notebooks, tasks, results, caches) slipped in;
 * - `fixtures/index.json` (sizes, sha256 and the published flag of every ladder and prey file, which the
 *   library checks downloads against) does not match the files; `--write-index` rewrites it;
 * - a published ladder or prey JSON file names a weights file that is not published.
 *
 * `deno task check` runs it (without `--write-index`).
 *
 * @module
 */
import { join, relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { KitInputError } from "../lib/util/errors.ts";
import { sha256Hex } from "../lib/util/fs.ts";
import type { KitDataIndex } from "../lib/util/kit_data.ts";

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
    const m = /^\s*(file:\/\/\S+) \([^)]*\)\s*$/.exec(line); // NO_COLOR: no escape codes
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

/** The folders under `fixtures/` whose files the library reads through `fixtures/index.json`. */
const DATA_FOLDERS = ["behaviour", "prey"];

/** `fixtures/index.json` as it should be for the files on disk and the publish set. */
export async function buildDataIndex(root: string, published: Set<string>): Promise<KitDataIndex> {
  const files: KitDataIndex["files"] = {};
  const names: string[] = [];
  for (const folder of DATA_FOLDERS) {
    for await (const e of Deno.readDir(join(root, "fixtures", folder))) {
      if (e.isFile && /\.(json|f32)$/.test(e.name)) names.push(`${folder}/${e.name}`);
    }
  }
  for (const name of names.sort()) {
    const bytes = await Deno.readFile(join(root, "fixtures", name));
    files[name] = {
      bytes: bytes.length,
      sha256: await sha256Hex(bytes),
      published: published.has(`fixtures/${name}`),
    };
  }
  return { format: "omar-kit-data-index-v1", files };
}

/** The text of `fixtures/index.json` for `index`. */
export function dataIndexText(index: KitDataIndex): string {
  return JSON.stringify(index, null, 2) + "\n";
}

/** Problems of the data index and of the published data files' pairs (JSON and its weights file). */
export async function dataProblems(root: string, files: PublishFile[]): Promise<string[]> {
  const problems: string[] = [];
  const published = new Set(files.map((f) => f.path));
  const want = dataIndexText(await buildDataIndex(root, published));
  let have = "";
  try {
    have = await Deno.readTextFile(join(root, "fixtures", "index.json"));
  } catch {
    // missing: reported below
  }
  if (have !== want) {
    problems.push(
      "fixtures/index.json does not match the data files; run `deno task publish-check --write-index`",
    );
  }
  for (const f of files) {
    if (!/^fixtures\/(behaviour|prey)\/.*\.json$/.test(f.path)) continue;
    const weights = JSON.parse(await Deno.readTextFile(join(root, f.path))).weights?.file;
    const companion = f.path.slice(0, f.path.lastIndexOf("/") + 1) + weights;
    if (typeof weights === "string" && !published.has(companion)) {
      problems.push(`${f.path} is published but its weights file ${companion} is not`);
    }
  }
  return problems;
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(2);
}

if (import.meta.main) {
  const root = repositoryRoot();
  let files = await publishFiles(root);
  if (Deno.args.includes("--write-index")) {
    const index = await buildDataIndex(root, new Set(files.map((f) => f.path)));
    await Deno.writeTextFile(join(root, "fixtures", "index.json"), dataIndexText(index));
    files = await publishFiles(root); // the index's own size changed
  }
  const total = files.reduce((s, f) => s + f.bytes, 0);
  const problems = [...publishProblems(files), ...await dataProblems(root, files)];
  if (Deno.args.includes("--list")) { for (const f of files) console.log(`${f.bytes}\t${f.path}`); }
  console.log(`publish set: ${files.length} files, ${mb(total)} MB (limit ${mb(PUBLISH_LIMIT_BYTES)} MB)`);
  if (problems.length > 0) {
    console.error(new KitInputError(`publish set breaks JSR's rules:\n  ${problems.join("\n  ")}`).message);
    Deno.exit(1);
  }
}

/**
 * The kit's own data files (behaviour ladders, the kit's prey) wherever the kit was loaded from.
 *
 * Every file is listed in `fixtures/index.json` (part of the module graph, so it loads with the code and
 * needs no permission) with its size, sha256 and whether it ships in the published package. A file is
 * read from, in order:
 *
 * 1. the kit's own folder, when the kit runs from files (a clone of the repository: `fixtures/`, as is);
 * 2. the cache, `$OMAR_DATA_DIR/<version>/` (default: the per-user cache folder, e.g.
 *    `~/.cache/omar-kit/<version>/`), when its sha256 matches the index;
 * 3. a download: from the package itself (`new URL("../../fixtures/…", import.meta.url)`, e.g. JSR) for
 *    files it ships, else from `$OMAR_DATA_URL` (the kit's `fixtures/` folder anywhere on the web), checked
 *    against the index's sha256 and then kept in the cache.
 *
 * Environment variables and the cache are used only where the permissions already cover them (never a
 * prompt): without `--allow-env` / `--allow-read` / `--allow-write` for the cache, downloads stay in memory.
 *
 * @module
 */
import { join } from "node:path";
import index from "../../fixtures/index.json" with { type: "json" };
import { KitInputError } from "./errors.ts";
import { sha256Hex, writeFileAtomic } from "./fs.ts";
import { grantedEnv, permissionGranted } from "./permissions.ts";
import { KIT_VERSION } from "./version.ts";

/** One data file of the kit (an entry of `fixtures/index.json`). */
export interface KitDataEntry {
  /** Size in bytes. */
  bytes: number;
  /** Hex sha256 of the file's bytes. */
  sha256: string;
  /** Whether the published package holds it (else it is downloaded from `$OMAR_DATA_URL`). */
  published: boolean;
}

/** The format of `fixtures/index.json`. */
export interface KitDataIndex {
  /** `omar-kit-data-index-v1`. */
  format: string;
  /** Files by path relative to `fixtures/` (`/`-separated). */
  files: Record<string, KitDataEntry>;
}

/**
 * Where files the package does not hold are downloaded from when `$OMAR_DATA_URL` is unset: the kit's
 * `fixtures/` folder at this version on the web. `null` until the repository has a public address; then
 * `$OMAR_DATA_URL` must be set for them (any copy of the repository's `fixtures/` folder, http(s) or file).
 */
export const DEFAULT_DATA_URL: string | null = null;

const FIXTURES = new URL("../../fixtures/", import.meta.url);
const INDEX = index as KitDataIndex;

/** The index of the kit's data files (`fixtures/index.json`). */
export function kitDataIndex(): KitDataIndex {
  return INDEX;
}

/** The entry of `path` (relative to `fixtures/`), or a {@link KitInputError} when the kit has no such file. */
export function kitDataEntry(path: string): KitDataEntry {
  const entry = Object.hasOwn(INDEX.files, path) ? INDEX.files[path] : undefined;
  if (!entry) throw new KitInputError(`${path}: not one of the kit's data files (see fixtures/index.json)`);
  return entry;
}

/**
 * The cache folder of this kit version: `$OMAR_DATA_DIR/<version>`, else the per-user cache folder
 * (`$XDG_CACHE_HOME/omar-kit` or `~/.cache/omar-kit`; `~/Library/Caches/omar-kit` on macOS,
 * `%LOCALAPPDATA%\omar-kit` on Windows) plus the version. `null` when the environment may not be read.
 */
export function kitDataCacheDir(): string | null {
  const explicit = grantedEnv("OMAR_DATA_DIR");
  if (explicit) return join(explicit, KIT_VERSION);
  const home = grantedEnv("HOME");
  let base: string | undefined;
  if (Deno.build.os === "windows") base = grantedEnv("LOCALAPPDATA");
  else if (Deno.build.os === "darwin") base = home && join(home, "Library", "Caches");
  else base = grantedEnv("XDG_CACHE_HOME") || (home && join(home, ".cache"));
  return base ? join(base, "omar-kit", KIT_VERSION) : null;
}

/** Where `path` (relative to `fixtures/`) is downloaded from when the package does not hold it, or null. */
export function kitDataRemoteUrl(path: string): URL | null {
  const base = grantedEnv("OMAR_DATA_URL") || DEFAULT_DATA_URL;
  if (!base) return null;
  return new URL(path, base.endsWith("/") ? base : `${base}/`);
}

/** Reads one of the kit's data files (`path` relative to `fixtures/`, e.g. `behaviour/spread_1d_n2.json`). */
export async function readKitData(path: string): Promise<Uint8Array> {
  const packaged = new URL(path, FIXTURES);
  if (packaged.protocol === "file:") {
    try {
      return await Deno.readFile(packaged); // a clone: its files as they are (retrained ones too)
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err; // a copy without it: fetch it below
    }
  }
  const entry = kitDataEntry(path);
  const cacheDir = kitDataCacheDir();
  const cached = cacheDir === null ? null : await readCached(join(cacheDir, path), entry);
  if (cached) return cached;
  const source = entry.published && packaged.protocol !== "file:" ? packaged : kitDataRemoteUrl(path);
  if (source === null) {
    throw new KitInputError(
      `the kit's ${path} is not in the published package (JSR's 20 MB hold only some ladders): set ` +
        "OMAR_DATA_URL to a copy of the kit repository's fixtures/ folder (with --allow-env=OMAR_DATA_URL " +
        `and --allow-net for its host), or put the file in ${
          cacheDir ?? "$OMAR_DATA_DIR/" + KIT_VERSION
        }/${path}`,
    );
  }
  const bytes = await download(source);
  await verify(bytes, entry, source.href);
  if (cacheDir !== null) await keep(join(cacheDir, path), bytes);
  return bytes;
}

async function readCached(file: string, entry: KitDataEntry): Promise<Uint8Array | null> {
  if (!permissionGranted({ name: "read", path: file })) return null;
  try {
    const bytes = await Deno.readFile(file);
    return bytes.length === entry.bytes && await sha256Hex(bytes) === entry.sha256 ? bytes : null;
  } catch {
    return null;
  }
}

/** Keeps a verified download in the cache; a cache that may not be written is skipped. */
async function keep(file: string, bytes: Uint8Array): Promise<void> {
  if (!permissionGranted({ name: "write", path: file })) return;
  try {
    await Deno.mkdir(join(file, ".."), { recursive: true });
    await writeFileAtomic(file, bytes);
  } catch (err) {
    if (grantedEnv("OMAR_DATA_DIR")) {
      throw new KitInputError(`OMAR_DATA_DIR: cannot keep ${file} (${(err as Error).message})`);
    }
  }
}

async function download(url: URL): Promise<Uint8Array> {
  if (url.protocol === "file:") {
    try {
      return await Deno.readFile(url);
    } catch (err) {
      throw new KitInputError(`${url.href}: cannot read (${(err as Error).message})`);
    }
  }
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) throw err; // names the --allow-net it needs
    throw new KitInputError(`GET ${url.href}: ${(err as Error).message}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new KitInputError(`GET ${url.href}: HTTP ${res.status}`);
  }
  return new Uint8Array(await res.arrayBuffer());
}

async function verify(bytes: Uint8Array, entry: KitDataEntry, where: string): Promise<void> {
  const sha = await sha256Hex(bytes);
  if (bytes.length !== entry.bytes || sha !== entry.sha256) {
    throw new KitInputError(
      `${where}: expected ${entry.bytes} bytes with sha256 ${entry.sha256} (fixtures/index.json), ` +
        `got ${bytes.length} bytes with sha256 ${sha}`,
    );
  }
}

/**
 * File helpers: atomic writes (write a temporary file, then rename, so an interrupted run never leaves
 * a file that looks complete), guarded JSON reads, output-folder checks, exclusive lock files (so two
 * processes on one folder never clobber each other) and SHA-256 of bytes.
 *
 * @module
 */
import { join } from "node:path";
import { KitInputError } from "./errors.ts";

/** Writes `data` to `path` atomically: a temporary file beside it, then a rename. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** Hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** True when `path` exists (file or directory). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Reads and parses a JSON file; a missing file gives `null`, an unreadable or malformed one a {@link KitInputError} naming it. */
export async function readJsonFile<T>(path: string): Promise<T | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw new KitInputError(`${path}: unreadable (${(err as Error).message})`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new KitInputError(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

/**
 * Makes folder `path` (and its parents) and checks that a file can be written in it, before any work
 * is done; `what` names it in the error (e.g. `--out`). A file in the way, a read-only or full disk or a
 * missing permission is a {@link KitInputError} naming the folder.
 */
export async function ensureWritableDir(path: string, what: string): Promise<string> {
  const probe = join(path, `.write-probe-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
  try {
    await Deno.mkdir(path, { recursive: true });
    await Deno.writeTextFile(probe, "probe\n");
  } catch (err) {
    const e = err as Error;
    const why = e instanceof Deno.errors.AlreadyExists || e instanceof Deno.errors.NotADirectory
      ? "a file stands where a folder is needed"
      : e.message;
    throw new KitInputError(`${what} ${path}: cannot write there (${why})`);
  } finally {
    await Deno.remove(probe).catch(() => {});
  }
  return path;
}

/** Who holds a {@link FileLock}. */
export interface LockHolder {
  /** Process id. */
  pid: number;
  /** Host name (`unknown` where it cannot be read). */
  host: string;
  /** ISO time the lock was taken. */
  since: string;
}

/** An exclusive lock on a file path, held by this process until {@link FileLock.release}. */
export interface FileLock {
  /** The lock file. */
  path: string;
  /** Rewrites the lock's time stamp, so other hosts do not take it for abandoned. */
  refresh(): Promise<void>;
  /** Removes the lock (only if it is still this process's). */
  release(): Promise<void>;
}

/** This machine's name, or `unknown`. */
function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

/** Whether process `pid` runs on this machine (Linux `/proc`; elsewhere assumed alive). */
export function processAlive(pid: number): boolean {
  if (pid === Deno.pid) return true;
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return !existsSync("/proc/self");
    return true;
  }
}

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Seconds after which a lock held from another host, never refreshed, counts as abandoned. */
export const LOCK_STALE_SECONDS = 30 * 60;

/** The holder of lock `path` if it is held by a live process, else null (absent or abandoned). */
export async function lockHolder(path: string): Promise<LockHolder | null> {
  let text: string, mtime: Date | null;
  try {
    text = await Deno.readTextFile(path);
    mtime = (await Deno.stat(path)).mtime;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  let holder: LockHolder;
  try {
    holder = JSON.parse(text) as LockHolder;
  } catch {
    return null; // locks are written whole (link), so a malformed one is not ours: abandoned
  }
  if (holder.host === hostName()) return processAlive(holder.pid) ? holder : null;
  const age = mtime ? (Date.now() - mtime.getTime()) / 1000 : Infinity;
  return age < LOCK_STALE_SECONDS ? holder : null;
}

/**
 * Takes the exclusive lock `path` (a small JSON file naming this process), or returns its live holder.
 * The file is written whole beside it and hard-linked into place, so taking it is atomic and a reader
 * never sees half a lock; a lock left by a process that died (same host) or not refreshed for
 * {@link LOCK_STALE_SECONDS} (another host) is taken over.
 */
export async function tryLock(path: string): Promise<FileLock | { holder: LockHolder }> {
  const me: LockHolder = { pid: Deno.pid, host: hostName(), since: new Date().toISOString() };
  const text = JSON.stringify(me) + "\n";
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(tmp, text);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await Deno.link(tmp, path);
        return {
          path,
          refresh: async () => {
            const now = new Date();
            await Deno.utime(path, now, now).catch(() => {});
          },
          release: async () => {
            const held = await Deno.readTextFile(path).catch(() => "");
            if (held === text) await Deno.remove(path).catch(() => {});
          },
        };
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      }
      const holder = await lockHolder(path);
      if (holder) return { holder };
      await Deno.remove(path).catch(() => {}); // abandoned: take it over
    }
    const holder = await lockHolder(path);
    return { holder: holder ?? { pid: -1, host: "unknown", since: "" } };
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

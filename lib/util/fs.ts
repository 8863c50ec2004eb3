/**
 * File helpers: atomic writes (write a temporary file, then rename, so an interrupted run never leaves
 * a file that looks complete), guarded JSON reads, output-folder checks, exclusive lock files (so two
 * processes on one folder never clobber each other) and SHA-256 of bytes.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { KitInputError } from "./errors.ts";
import { permissionGranted } from "./permissions.ts";

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

/** {@link writeFileAtomic} for synchronous callers. */
export function writeTextFileAtomicSync(path: string, data: string): void {
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    Deno.writeTextFileSync(tmp, data);
    Deno.renameSync(tmp, path);
  } catch (err) {
    try {
      Deno.removeSync(tmp);
    } catch {
      // never written
    }
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
 * Checks, before any work is done, that files can be written in folder `path`; `what` names it in the
 * error (e.g. `--out`). By default the folder (and its parents) is made; with `create: false` nothing is
 * left behind: the probe goes to the nearest folder that exists on the way. A file in the way, a read-only
 * or full disk or a missing permission is a {@link KitInputError} naming the folder.
 */
export async function ensureWritableDir(
  path: string,
  what: string,
  options: { create?: boolean } = {},
): Promise<string> {
  let at = path;
  const fail = (err: unknown): never => {
    const e = err as Error;
    const why = e instanceof Deno.errors.AlreadyExists || e instanceof Deno.errors.NotADirectory
      ? "a file stands where a folder is needed"
      : e.message;
    throw new KitInputError(`${what} ${path}: cannot write there (${why})`);
  };
  if (options.create ?? true) {
    await Deno.mkdir(path, { recursive: true }).catch(fail);
  } else {
    for (;;) {
      const info = await Deno.stat(at).catch((
        err,
      ) => (err instanceof Deno.errors.NotFound ? null : fail(err)));
      if (info && !info.isDirectory) fail(new Deno.errors.NotADirectory(at));
      if (info || dirname(at) === at) break;
      at = dirname(at);
    }
  }
  const probe = join(at, `.write-probe-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
  try {
    await Deno.writeTextFile(probe, "probe\n");
  } catch (err) {
    fail(err);
  } finally {
    await Deno.remove(probe).catch(() => {});
  }
  return path;
}

/** Who holds a {@link FileLock}. */
export interface LockHolder {
  /** Process id (-1 while the holder has not written it yet). */
  pid: number;
  /** Host name (`unknown` where it cannot be read). */
  host: string;
  /** ISO time the lock was taken. */
  since: string;
}

/** An exclusive lock on a file path, held by this process until {@link FileLock.release} or its exit. */
export interface FileLock {
  /** The lock file. */
  path: string;
  /** Releases the lock and removes its file. */
  release(): Promise<void>;
}

/** This machine's name where `--allow-sys` already covers it (never prompts), or `unknown`. */
function hostName(): string {
  return permissionGranted({ name: "sys", kind: "hostname" }) ? Deno.hostname() : "unknown";
}

async function readHolder(file: Deno.FsFile): Promise<LockHolder> {
  try {
    const bytes = new Uint8Array(4096);
    await file.seek(0, Deno.SeekMode.Start);
    const n = await file.read(bytes);
    return JSON.parse(new TextDecoder().decode(bytes.subarray(0, n ?? 0))) as LockHolder;
  } catch {
    return { pid: -1, host: "unknown", since: "" }; // taken a moment ago, not written yet
  }
}

/** The holder of lock `path` while a live process holds it, else null (absent, released, or its holder died). */
export async function lockHolder(path: string): Promise<LockHolder | null> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  try {
    if (await file.tryLock(true)) return null;
    return await readHolder(file);
  } finally {
    file.close(); // closing drops a lock this call took
  }
}

/**
 * Takes the exclusive lock `path`, or returns its live holder. The lock is the operating system's
 * (`flock`) on that file, so it goes with its process: a holder killed with `kill -9` leaves nothing
 * to clean up. The file names the holder (pid, host, time) for messages and is removed on release.
 */
export async function tryLock(path: string): Promise<FileLock | { holder: LockHolder }> {
  for (;;) {
    const file = await Deno.open(path, { read: true, write: true, create: true });
    if (!(await file.tryLock(true))) {
      const holder = await readHolder(file);
      file.close();
      return { holder };
    }
    // the file may have been released and removed between open and lock: then lock the new one
    const [mine, now] = await Promise.all([file.stat(), Deno.stat(path).catch(() => null)]);
    if (now === null || now.ino !== mine.ino) {
      file.close();
      continue;
    }
    const me: LockHolder = { pid: Deno.pid, host: hostName(), since: new Date().toISOString() };
    await file.truncate(0);
    await file.seek(0, Deno.SeekMode.Start);
    await file.write(new TextEncoder().encode(JSON.stringify(me) + "\n"));
    return {
      path,
      release: async () => {
        await Deno.remove(path).catch(() => {});
        file.close();
      },
    };
  }
}

// Running the kit's tasks as a user does, for the command-line tests: a fresh Deno process per call,
// the assertion that a failure is one `error:` line (no stack), and byte snapshots of folders.
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { REPO_ROOT } from "../lib/util/repo.ts";

/** What a task process left. */
export interface Outcome {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** The permissions of the kit's `deno task` entries (all of them; a task needing fewer ignores the rest). */
export const TASK_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  "--allow-run",
  "--allow-ffi",
];

/** Runs `tasks/<script>` with `args` in a fresh process (from `cwd`, default the repository). */
export async function runTask(
  script: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; permissions?: string[] } = {},
): Promise<Outcome> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--config",
      join(REPO_ROOT, "deno.json"),
      ...(options.permissions ?? TASK_PERMISSIONS),
      join(REPO_ROOT, "tasks", script),
      ...args,
    ],
    cwd: options.cwd ?? REPO_ROOT,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** Exit `code`, exactly one `error: …` line on stderr holding every one of `parts`, no stack frame; returns it. */
export function assertOneLineError(r: Outcome, code: number, ...parts: string[]): string {
  const show = `exit ${r.code}, stderr:\n${r.stderr}\nstdout:\n${r.stdout}`;
  assertEquals(r.code, code, show);
  const errors = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
  assertEquals(errors.length, 1, show);
  assert(!r.stderr.includes("    at "), `stack trace in\n${show}`);
  for (const p of parts) assert(errors[0].includes(p), `"${errors[0]}" lacks "${p}"`);
  return errors[0];
}

/** Every file under `dir` (relative path → bytes). */
export async function snapshotTree(dir: string): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  const walk = async (d: string, rel: string) => {
    for await (const e of Deno.readDir(d)) {
      if (e.isDirectory) await walk(join(d, e.name), join(rel, e.name));
      else files[join(rel, e.name)] = await Deno.readFile(join(d, e.name));
    }
  };
  await walk(dir, "");
  return files;
}

/** Knobs that make Table 1's smoke profile a few seconds: one task, one quality, ITD3 and OMAR, 2 seeds. */
export const TINY_TABLE1 = [
  "--tasks",
  "cooperative_navigation",
  "--qualities",
  "random",
  "--algos",
  "itd3,omar",
  "--seeds",
  "2",
  "--rounds",
  "60",
  "--batch",
  "64",
  "--samples",
  "1000",
  "--eval-every",
  "20",
  "--eval-episodes",
  "3",
];

/** `datasets generate` of cooperative navigation's random data, seed 0, into `out`. */
export const generateArgs = (out: string, samples: string) => [
  "generate",
  "--task",
  "cooperative_navigation",
  "--quality",
  "random",
  "--seed",
  "0",
  "--samples",
  samples,
  "--out",
  out,
];

/** SIGKILLs `child` unless it has already exited; says whether the kill landed. Waits for the exit. */
export async function killIfRunning(child: Deno.ChildProcess): Promise<boolean> {
  const exited = await Promise.race([
    child.status.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 0)),
  ]);
  if (!exited) {
    try {
      child.kill("SIGKILL");
    } catch { /* it exited between the check and the kill */ }
  }
  return (await child.status).signal === "SIGKILL";
}

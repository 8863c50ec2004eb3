// The Kubernetes recipe, checked without a cluster or a container engine (none is reachable here): the
// manifests parse, the Indexed Job's completions, --shards and the merge step's folders agree, its index
// variable reaches parseShard, and the container recipe runs the README's quick start. The Slurm recipe
// runs for real in tests/slurm_test.ts.
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../lib/util/repo.ts";
import { parseShard } from "../lib/experiments/scheduler.ts";
import { findTarget } from "../lib/experiments/targets.ts";
import { PROFILES } from "../lib/experiments/profiles.ts";

// deno-lint-ignore no-explicit-any
type Doc = any;

async function manifests(file: string): Promise<Doc[]> {
  const docs = parseAllDocuments(await Deno.readTextFile(join(REPO_ROOT, "cluster", "k8s", file)));
  if (!Array.isArray(docs)) throw new Error(`${file}: no YAML documents`);
  for (const d of docs) assertEquals(d.errors.map((e) => e.message), [], file);
  return docs.map((d) => d.toJS());
}

/** The value after `--name` in an argument list. */
function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
}

/** Kubernetes' `$(VAR)` expansion of container args from the container's env. */
const expand = (arg: string, env: Record<string, string>) =>
  arg.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name) => env[name] ?? m);

const tasks = Object.keys(JSON.parse(await Deno.readTextFile(join(REPO_ROOT, "deno.json"))).tasks);

Deno.test("k8s: the Indexed Job's completions, --shards, index variable and volume agree; its index reaches parseShard", async () => {
  const docs = await manifests("reproduce-job.yaml");
  const pvc = docs.find((d) => d.kind === "PersistentVolumeClaim");
  const job = docs.find((d) => d.kind === "Job");
  assert(pvc && job, "a PersistentVolumeClaim and a Job");
  assertEquals([job.apiVersion, job.spec.completionMode], ["batch/v1", "Indexed"]);
  const { completions, parallelism } = job.spec;
  assert(Number.isInteger(completions) && completions > 1, `completions ${completions}`);
  assert(Number.isInteger(parallelism) && parallelism >= 1 && parallelism <= completions, `${parallelism}`);
  const pod = job.spec.template.spec;
  assertEquals(pod.restartPolicy, "Never");
  assertEquals(pod.containers.length, 1);
  const [c] = pod.containers;
  const args: string[] = c.args;
  assert(args.every((a) => typeof a === "string"), "args are strings (numbers quoted)");
  // the image's entry point is `deno task`: the args are a task and its arguments
  assert(tasks.includes(args[0]), args[0]);
  assertEquals(args[0], "reproduce");
  const target = findTarget(args[1]);
  assert(target.run, target.name);
  assert(PROFILES.includes(flag(args, "profile") as typeof PROFILES[number]), flag(args, "profile"));
  assertEquals(flag(args, "shards"), String(completions));
  assertEquals(flag(args, "shard"), undefined);
  // the index comes from the pod's annotation, under the name parseShard reads
  const indexVar = c.env.find((e: Doc) => e.name === "JOB_COMPLETION_INDEX");
  assertEquals(
    indexVar?.valueFrom?.fieldRef?.fieldPath,
    "metadata.annotations['batch.kubernetes.io/job-completion-index']",
  );
  for (let index = 0; index < completions; index++) {
    const env = { JOB_COMPLETION_INDEX: String(index) };
    const expanded = args.map((a) => expand(a, env));
    Deno.env.set("JOB_COMPLETION_INDEX", env.JOB_COMPLETION_INDEX);
    try {
      assertEquals(parseShard(undefined, Number(flag(expanded, "shards"))), { index, count: completions });
    } finally {
      Deno.env.delete("JOB_COMPLETION_INDEX");
    }
    // each pod its own folder, on the shared volume
    const out = flag(expanded, "out")!;
    const mount = c.volumeMounts.find((m: Doc) => out.startsWith(`${m.mountPath}/`));
    assert(mount, `--out ${out} is on a mounted volume`);
    assertEquals(out, `${mount.mountPath}/shard-${index}`);
    const volume = pod.volumes.find((v: Doc) => v.name === mount.name);
    assertEquals(volume.persistentVolumeClaim.claimName, pvc.metadata.name);
  }
  assert(pvc.spec.accessModes.includes("ReadWriteMany"), "pods on several nodes share the volume");
  assertEquals(Number(c.resources.requests.cpu), Number(flag(args, "jobs")), "one core per worker process");
});

Deno.test("k8s: the merge Job reads every shard's folder, with the shards' target, profile, volume and env", async () => {
  const [job] = (await manifests("reproduce-job.yaml")).filter((d) => d.kind === "Job");
  const [merge] = await manifests("merge-job.yaml");
  assertEquals(merge.kind, "Job");
  const shard = job.spec.template.spec.containers[0];
  const c = merge.spec.template.spec.containers[0];
  assertEquals(c.image, shard.image);
  const args: string[] = c.args;
  assertEquals(args.slice(0, 3), ["reproduce", "merge", shard.args[1]]);
  assertEquals(flag(args, "profile"), flag(shard.args, "profile"));
  const folders = args.slice(3, args.findIndex((a) => a.startsWith("--")));
  const n = job.spec.completions;
  const pattern = flag(shard.args, "out")!;
  assertEquals(
    folders,
    Array.from({ length: n }, (_, i) => expand(pattern, { JOB_COMPLETION_INDEX: String(i) })),
  );
  // the same claim at the same place
  const claim = (spec: Doc, name: string) =>
    spec.volumes.find((v: Doc) => v.name === name).persistentVolumeClaim;
  assertEquals(
    claim(merge.spec.template.spec, c.volumeMounts[0].name),
    claim(job.spec.template.spec, shard.volumeMounts[0].name),
  );
  assertEquals(c.volumeMounts[0].mountPath, shard.volumeMounts[0].mountPath);
  assertEquals(flag(args, "out"), shard.volumeMounts[0].mountPath);
  // the prey source is part of the run ids: the merge sees what the shards saw
  const plain = (env: Doc[]) => (env ?? []).filter((e) => e.value !== undefined);
  assertEquals(plain(c.env), plain(shard.env));
});

Deno.test("container recipe: Debian, Node/npm and OpenBLAS, `deno task` as entry, running the README's quick start", async () => {
  const text = await Deno.readTextFile(join(REPO_ROOT, "cluster", "k8s", "Dockerfile"));
  const lines = text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim()).filter((l) =>
    l && !l.startsWith("#")
  );
  const instr = (name: string) =>
    lines.filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1));
  assert(/^debian:/.test(instr("FROM")[0]), instr("FROM")[0]);
  assertEquals(instr("ENTRYPOINT").map((e) => JSON.parse(e)), [["deno", "task"]]);
  const runs = instr("RUN").flatMap((r) => r.split("&&").map((s) => s.trim().replace(/\s+/g, " ")));
  const apt = runs.find((r) => r.startsWith("apt-get install"))!;
  for (const pkg of ["nodejs", "npm", "libopenblas0"]) {
    assert(apt.split(" ").includes(pkg), `${pkg} in ${apt}`);
  }
  // the README's quick start: its commands, each one a RUN of the image (and the image runs no other kit command)
  const readme = await Deno.readTextFile(join(REPO_ROOT, "README.md"));
  const quick = /## Quick start[^\n]*\n+```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  assert(quick, "README quick start block");
  const commands = quick.split("\n").map((l) => l.replace(/#.*$/, "").trim()).filter(Boolean)
    .flatMap((l) => l.split("&&").map((s) => s.trim().replace(/\s+/g, " ")));
  const setup = commands.filter((c) => c !== "deno task test"); // the image ships no test run
  assertEquals(setup, ["npm install -g deno", "deno task reproduce table1 --profile smoke"]);
  for (const c of setup) assert(runs.includes(c), `Dockerfile RUN ${c}`);
  assertEquals(runs.filter((r) => /^(deno|npm) /.test(r)), setup);
  // every file the README's cluster section names is in the repository
  const section = /## Running on a cluster\n([\s\S]*?)\n## /.exec(readme)?.[1];
  assert(section, "README section 'Running on a cluster'");
  const named = [...new Set([...section.matchAll(/cluster\/[\w./-]+\w/g)].map((m) => m[0]))];
  assert(named.length >= 5, named.join(", "));
  for (const f of named) assert(Deno.statSync(join(REPO_ROOT, f)).isFile, f);
});

Deno.test("slurm recipe: the array's size is --shards, each task its own folder, SLURM_ARRAY_TASK_ID reaches parseShard", async () => {
  const text = await Deno.readTextFile(join(REPO_ROOT, "cluster", "slurm", "reproduce_array.sbatch"));
  assert(/deno task reproduce "\$target" --shards "\$SLURM_ARRAY_TASK_COUNT" --out "\$out"/.test(text), text);
  assert(text.includes("out=$dir/shard-$SLURM_ARRAY_TASK_ID"), text);
  Deno.env.set("SLURM_ARRAY_TASK_ID", "3");
  try {
    assertEquals(parseShard(undefined, 4), { index: 3, count: 4 });
  } finally {
    Deno.env.delete("SLURM_ARRAY_TASK_ID");
  }
  // an array that is not 0..N-1 is refused before any work
  const out = await new Deno.Command("bash", {
    args: [join(REPO_ROOT, "cluster", "slurm", "reproduce_array.sbatch"), "table1", "/nonexistent"],
    env: {
      SLURM_ARRAY_TASK_ID: "1",
      SLURM_ARRAY_TASK_COUNT: "3",
      SLURM_ARRAY_TASK_MIN: "1",
      SLURM_ARRAY_TASK_MAX: "3",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 2);
  assert(new TextDecoder().decode(out.stderr).includes("the array must be 0-2"), "array range error");
});

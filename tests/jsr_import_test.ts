// The kit as a JSR user gets it: exactly the files `deno publish` would upload, served over HTTP from
// 127.0.0.1, imported by a script in a temporary folder outside the repository (no deno.json, no
// node_modules, no read access to the repository) through an import map that maps the bare npm
// specifiers the way JSR's rewriting does. The script makes a task, generates a small dataset from a
// shipped ladder, trains OMAR for a few rounds, evaluates it and renders a figure. A second script
// loads a ladder the package does not hold: downloaded from $OMAR_DATA_URL, checked, cached.
import { assert, assertEquals } from "./assert.ts";
import { publishFiles, repositoryRoot } from "../tasks/publish_check.ts";
import { generateDataset } from "../lib/behaviour/generate.ts";

const ROOT = repositoryRoot();

const MEDIA_TYPES: Record<string, string> = {
  ts: "application/typescript; charset=utf-8",
  json: "application/json; charset=utf-8",
  md: "text/markdown; charset=utf-8",
};

/** A file server on 127.0.0.1 answering with `pick(path)` (a repository path, or null for 404). */
function serve(pick: (path: string) => { file: string; tamper?: boolean } | null) {
  const served: string[] = [], refused: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    const hit = pick(path);
    if (hit === null) {
      refused.push(path);
      return new Response("not here", { status: 404 });
    }
    served.push(path);
    const bytes = await Deno.readFile(`${ROOT}/${hit.file}`);
    if (hit.tamper) bytes[bytes.length >> 1] ^= 1;
    const ext = path.slice(path.lastIndexOf(".") + 1);
    return new Response(bytes, {
      headers: { "content-type": MEDIA_TYPES[ext] ?? "application/octet-stream" },
    });
  });
  return { server, host: `127.0.0.1:${server.addr.port}`, served, refused };
}

/** JSR rewrites bare specifiers to what deno.json maps them to; subpaths (`pkg/file`) included. */
async function jsrEquivalentImportMap(): Promise<{ imports: Record<string, string> }> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)) as {
    imports: Record<string, string>;
  };
  const imports: Record<string, string> = {};
  for (const [name, target] of Object.entries(config.imports)) {
    imports[name] = target;
    if (target.startsWith("npm:")) imports[`${name}/`] = `npm:/${target.slice(4)}/`;
  }
  return { imports };
}

async function denoInfo(cwd: string): Promise<{ npmCache: string; modulesCache: string }> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], cwd, stdout: "piped" })
    .output();
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Runs `script` as `main.ts` in a fresh folder outside the repository, importing the kit from `host`. */
async function runConsumer(
  host: string,
  script: string,
  options: { allow?: string[]; env?: Record<string, string> } = {},
): Promise<{ dir: string; result: Record<string, unknown> }> {
  const dir = await Deno.makeTempDir({ prefix: "omar_jsr_consumer_" });
  assert(!dir.startsWith(ROOT), "the consumer lives outside the repository");
  const info = await denoInfo(dir);
  await Deno.writeTextFile(`${dir}/import_map.json`, JSON.stringify(await jsrEquivalentImportMap()));
  await Deno.writeTextFile(`${dir}/main.ts`, script.replaceAll("KIT/", `http://${host}/`));
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--no-prompt",
        "--no-config",
        "--no-lock",
        "--import-map=import_map.json",
        `--allow-import=${host}`,
        // the wasm files of tfjs and resvg are read from Deno's npm cache
        `--allow-read=${dir},${info.npmCache}`,
        `--allow-write=${dir}`,
        ...(options.allow ?? []),
        "main.ts",
      ],
      cwd: dir,
      env: options.env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout), stderr = new TextDecoder().decode(out.stderr);
    assert(out.success, `the consumer failed (exit ${out.code}):\n${stderr}\n${stdout}`);
    return { dir, result: JSON.parse(stdout.trim().split("\n").at(-1)!) };
  } finally {
    // Deno caches the served modules per host and port; a port is never reused, so drop them.
    await Deno.remove(`${info.modulesCache}/http/${host.replace(":", "_PORT")}`, { recursive: true })
      .catch(() => {});
  }
}

const GENERATE = { task: "spread_1d_n2", quality: "medium", seed: 0, samples: 2000, numEnvs: 20 };

const TRAIN_SCRIPT = `import {
  evaluate,
  generateDataset,
  initBackend,
  lineChart,
  makeAlgorithm,
  makeTask,
  trainOffline,
  writeFigure,
} from "KIT/mod.ts";

const task = makeTask("spread_1d_n2");
const { dir, dataset } = await generateDataset({ ...${JSON.stringify(GENERATE)}, out: "datasets" });
const backend = await initBackend();
const algo = makeAlgorithm("omar", { obsDims: task.obsDims, actDim: task.actDim }, {
  context: { task: task.name, quality: "medium" },
});
const { curve, final } = await trainOffline(algo, { dataset, task }, {
  rounds: 4,
  batchSize: 64,
  evalEvery: 2,
  evalEpisodes: 5,
  references: dataset.meta.referenceScores,
});
const evaluation = evaluate(task, algo.policy(), { episodes: 20 });
algo.dispose();
const figure = await writeFigure(
  "figures/curve",
  lineChart(curve.map((p) => ({ series: "OMAR", x: p.round, y: p.score })), { xTitle: "round", yTitle: "score" }),
);
console.log(JSON.stringify({
  dir,
  size: dataset.size,
  behaviour: dataset.meta.behaviourPolicy,
  backend,
  rounds: curve.map((p) => p.round),
  final: final.score,
  mean: evaluation.mean,
  png: figure.png,
}));
`;

Deno.test({
  name: "jsr import: the publish set, served over HTTP, generates data, trains, evaluates and plots",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const files = new Set((await publishFiles(ROOT)).map((f) => `/${f.path}`));
    assert(files.has("/mod.ts") && files.has("/deno.json"), "mod.ts and deno.json are published");
    const http = serve((path) => files.has(path) ? { file: path.slice(1) } : null);
    let dir: string | undefined;
    const local = await Deno.makeTempDir({ prefix: "omar_jsr_local_" });
    try {
      const run = await runConsumer(http.host, TRAIN_SCRIPT, { allow: [`--allow-net=${http.host}`] });
      dir = run.dir;
      const result = run.result as Record<string, string & number & number[]>;
      assertEquals(http.refused, [], "every file the consumer asked for is in the publish set");
      assert(http.served.includes("/fixtures/behaviour/spread_1d_n2.f32"), "the ladder came over HTTP");
      assertEquals(result.size, 2000);
      assert(
        /ladder snapshot/.test(result.behaviour),
        `medium data come from a ladder snapshot: ${result.behaviour}`,
      );
      assertEquals(result.backend, "wasm", "tfjs's wasm backend starts with read access to the npm cache");
      assertEquals(result.rounds, [0, 2, 4]);
      assert(Number.isFinite(result.final) && Number.isFinite(result.mean), "finite scores");
      const png = await Deno.readFile(`${dir}/${result.png}`);
      assertEquals([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], "a PNG was written");
      // the same dataset as from the repository's own files, byte for byte
      const here = await generateDataset({ ...GENERATE, out: local });
      for (const f of ["obs_0.npy", "acs_1.npy", "rews_0.npy", "next_obs_1.npy"]) {
        assertEquals(
          await Deno.readFile(`${dir}/${result.dir}/${f}`),
          await Deno.readFile(`${here.dir}/${f}`),
          f,
        );
      }
    } finally {
      await http.server.shutdown();
      if (dir) await Deno.remove(dir, { recursive: true });
      await Deno.remove(local, { recursive: true });
    }
  },
});

const REMOTE_SCRIPT = `import { loadLadder } from "KIT/mod.ts";

const outcome = async (f: () => Promise<unknown>) => {
  try {
    await f();
    return "ok";
  } catch (err) {
    return (err as Error).message;
  }
};
const dataUrl = Deno.env.get("OMAR_DATA_URL")!;
Deno.env.delete("OMAR_DATA_URL");
const unset = await outcome(() => loadLadder("spread_1d_n3", null));
Deno.env.set("OMAR_DATA_URL", dataUrl.replace("/data/", "/tampered/"));
const tampered = await outcome(() => loadLadder("spread_1d_n3", null));
Deno.env.set("OMAR_DATA_URL", dataUrl);
const ladder = await loadLadder("spread_1d_n3", null);
const again = await loadLadder("spread_1d_n3", null);
console.log(JSON.stringify({
  unset,
  tampered,
  snapshots: ladder.snapshots.length,
  same: ladder.snapshots.at(-1)!.policies[2].w[1].join() === again.snapshots.at(-1)!.policies[2].w[1].join(),
  weight: ladder.snapshots.at(-1)!.policies[2].w[1][7],
}));
`;

Deno.test({
  name: "jsr import: a ladder the package does not hold comes from $OMAR_DATA_URL, checked and cached",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const files = new Set((await publishFiles(ROOT)).map((f) => `/${f.path}`));
    assert(!files.has("/fixtures/behaviour/spread_1d_n3.json"), "spread_1d_n3's ladder is not published");
    const http = serve((path) => {
      if (files.has(path)) return { file: path.slice(1) };
      const m = /^\/(data|tampered)\/((behaviour|prey)\/[\w.]+)$/.exec(path);
      return m ? { file: `fixtures/${m[2]}`, tamper: m[1] === "tampered" } : null;
    });
    let dir: string | undefined;
    try {
      const cache = await Deno.makeTempDir({ prefix: "omar_jsr_cache_" });
      const run = await runConsumer(http.host, REMOTE_SCRIPT, {
        allow: [
          `--allow-net=${http.host}`,
          "--allow-env=OMAR_DATA_URL,OMAR_DATA_DIR",
          `--allow-read=${cache}`,
          `--allow-write=${cache}`,
        ],
        env: { OMAR_DATA_URL: `http://${http.host}/data/`, OMAR_DATA_DIR: cache },
      });
      dir = run.dir;
      const r = run.result as Record<string, string & number & boolean>;
      assert(/OMAR_DATA_URL/.test(r.unset), `without OMAR_DATA_URL the error says how to get it: ${r.unset}`);
      assert(/sha256/.test(r.tampered), `a tampered download is refused: ${r.tampered}`);
      const { readLadder, ladderPath } = await import("../lib/behaviour/store.ts");
      const mine = await readLadder(ladderPath("spread_1d_n3", null));
      assertEquals(r.snapshots, mine.snapshots.length);
      assertEquals(r.weight, mine.snapshots.at(-1)!.policies[2].w[1][7]);
      assert(r.same, "the cached copy gives the same ladder");
      const downloads = http.served.filter((p) => p.startsWith("/data/"));
      assertEquals(downloads.sort(), [
        "/data/behaviour/spread_1d_n3.f32",
        "/data/behaviour/spread_1d_n3.json",
      ]);
      const version = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).version;
      assert((await Deno.stat(`${cache}/${version}/behaviour/spread_1d_n3.f32`)).isFile, "kept in the cache");
      await Deno.remove(cache, { recursive: true });
    } finally {
      await http.server.shutdown();
      if (dir) await Deno.remove(dir, { recursive: true });
    }
  },
});

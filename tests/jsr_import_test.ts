// The kit as a JSR user gets it: exactly the files `deno publish` would upload, served over HTTP from
// 127.0.0.1, imported by a script in a temporary folder outside the repository (no deno.json, no
// node_modules, no read access to the repository) through an import map that maps the bare npm
// specifiers the way JSR's rewriting does. The script makes a task, generates a small dataset from a
// shipped ladder, trains OMAR for a few rounds, evaluates it and renders a figure.
import { assert, assertEquals } from "./assert.ts";
import { publishFiles, repositoryRoot } from "../tasks/publish_check.ts";

const ROOT = repositoryRoot();

const MEDIA_TYPES: Record<string, string> = {
  ts: "application/typescript; charset=utf-8",
  json: "application/json; charset=utf-8",
  md: "text/markdown; charset=utf-8",
};

/** JSR rewrites bare specifiers to what deno.json maps them to; subpaths (`pkg/file`) included. */
async function jsrEquivalentImportMap(): Promise<{ imports: Record<string, string> }> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)) as { imports: Record<string, string> };
  const imports: Record<string, string> = {};
  for (const [name, target] of Object.entries(config.imports)) {
    imports[name] = target;
    if (target.startsWith("npm:")) imports[`${name}/`] = `npm:/${target.slice(4)}/`;
  }
  return { imports };
}

function consumerScript(base: string): string {
  return `import {
  evaluate,
  generateDataset,
  initBackend,
  lineChart,
  makeAlgorithm,
  makeTask,
  trainOffline,
  writeFigure,
} from "${base}mod.ts";

const task = makeTask("spread_1d_n2");
const { dir, dataset } = await generateDataset({
  task: task.name,
  quality: "medium",
  seed: 0,
  samples: 2000,
  numEnvs: 20,
  out: "datasets",
});
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
}

Deno.test({
  name: "jsr import: the publish set, served over HTTP, generates data, trains, evaluates and plots",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const files = new Map((await publishFiles(ROOT)).map((f) => [`/${f.path}`, f]));
    assert(files.has("/mod.ts") && files.has("/deno.json"), "mod.ts and deno.json are published");
    const served: string[] = [], refused: string[] = [];
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      const path = decodeURIComponent(new URL(req.url).pathname);
      if (!files.has(path)) {
        refused.push(path);
        return new Response("not in the publish set", { status: 404 });
      }
      served.push(path);
      const ext = path.slice(path.lastIndexOf(".") + 1);
      return new Response(await Deno.readFile(`${ROOT}${path}`), {
        headers: { "content-type": MEDIA_TYPES[ext] ?? "application/octet-stream" },
      });
    });
    const host = `127.0.0.1:${server.addr.port}`;
    const dir = await Deno.makeTempDir({ prefix: "omar_jsr_consumer_" });
    try {
      assert(!dir.startsWith(ROOT), "the consumer lives outside the repository");
      await Deno.writeTextFile(`${dir}/import_map.json`, JSON.stringify(await jsrEquivalentImportMap()));
      await Deno.writeTextFile(`${dir}/main.ts`, consumerScript(`http://${host}/`));
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "--no-prompt",
          "--no-config",
          "--no-lock",
          "--import-map=import_map.json",
          `--allow-import=${host}`,
          `--allow-net=${host}`,
          `--allow-read=${dir}`,
          `--allow-write=${dir}`,
          "main.ts",
        ],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(out.stdout), stderr = new TextDecoder().decode(out.stderr);
      assert(out.success, `the consumer failed (exit ${out.code}):\n${stderr}\n${stdout}`);
      assertEquals(refused, [], "every file the consumer asked for is in the publish set");
      const result = JSON.parse(stdout.trim().split("\n").at(-1)!);
      assertEquals(result.size, 2000);
      assert(/ladder snapshot/.test(result.behaviour), `medium data come from a ladder snapshot: ${result.behaviour}`);
      assertEquals(result.rounds, [0, 2, 4]);
      assert(Number.isFinite(result.final) && Number.isFinite(result.mean), "finite scores");
      const png = await Deno.readFile(`${dir}/${result.png}`);
      assertEquals([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], "a PNG was written");
      assert((await Deno.stat(`${dir}/${result.dir}/obs_0.npy`)).size > 0, "the dataset was written");
      assert(served.includes("/fixtures/behaviour/spread_1d_n2.json"), "the ladder came over HTTP");
    } finally {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

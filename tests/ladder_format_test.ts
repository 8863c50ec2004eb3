// Ladders and the kit's prey are stored as small JSON beside a raw float32 file of their weights. The
// older form (weights inline as base64 in one JSON file) still loads, gives the very same weights and so
// byte-identical datasets; a weights file that does not match its sha256 or is missing is a clear error.
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { generateDataset } from "../lib/behaviour/generate.ts";
import { ladderPath, loadLadder, readLadder, writeLadder } from "../lib/behaviour/store.ts";
import { loadPrey, makeTask } from "../lib/envs/mod.ts";
import { encodeState } from "../lib/nn/state.ts";
import { KitInputError } from "../lib/util/errors.ts";
import { joinFloat32, splitFloat32 } from "../lib/util/f32_json.ts";
import { kitDataIndex, readKitData } from "../lib/util/kit_data.ts";
import { sha256Hex } from "../lib/util/fs.ts";

/** The ladder file exactly as the kit wrote it before the float32 files (`writeLadder` of 0.1.0). */
function oldFormat(value: unknown): string {
  return JSON.stringify(encodeState(value)) + "\n";
}

async function folderBytes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(dir)) {
    out[e.name] = await sha256Hex(await Deno.readFile(join(dir, e.name)));
  }
  return out;
}

Deno.test("ladder format: the old inline-base64 file and the float32 file give byte-identical datasets", async () => {
  const root = await Deno.makeTempDir();
  try {
    const ladder = await loadLadder("spread_1d_n2", null); // the committed float32 form
    await Deno.writeTextFile(ladderPath("spread_1d_n2", null, root), oldFormat(ladder));
    const old = await readLadder(ladderPath("spread_1d_n2", null, root));
    assertEquals(old, ladder);
    const opts = { task: "spread_1d_n2", seed: 3, samples: 1500, numEnvs: 10 };
    for (const quality of ["medium", "medium-replay"]) {
      const a = await generateDataset({ ...opts, quality, out: join(root, "new") });
      const b = await generateDataset({ ...opts, quality, ladderDir: root, out: join(root, "old") });
      const [fa, fb] = [await folderBytes(a.dir), await folderBytes(b.dir)];
      assert(Object.keys(fa).length >= 10, "a dataset folder");
      assertEquals(fa, fb, `${quality}: same bytes`);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("ladder format: JSON + .f32 round trip; a replaced, cut or missing weights file is a clear error", async () => {
  const root = await Deno.makeTempDir();
  try {
    const ladder = await loadLadder("spread_1d_n2", null);
    const small = { ...ladder, snapshots: ladder.snapshots.slice(0, 3) };
    const path = join(root, "small.json");
    await writeLadder(path, small);
    assertEquals(await readLadder(path), small);
    const json = JSON.parse(await Deno.readTextFile(path));
    assertEquals(json.weights.file, "small.f32");
    const f32 = await Deno.readFile(join(root, "small.f32"));
    assertEquals(f32.length, json.weights.bytes);
    assertEquals(await sha256Hex(f32), json.weights.sha256);
    assert((await Deno.stat(path)).size < 5000, "the JSON holds no weights");

    f32[100] ^= 1;
    await Deno.writeFile(join(root, "small.f32"), f32);
    await assertRejects(
      () => readLadder(path),
      (e: unknown) => e instanceof KitInputError && /small\.f32/.test(e.message) && /sha256/.test(e.message),
    );
    await Deno.writeFile(join(root, "small.f32"), f32.subarray(0, 400));
    await assertRejects(() => readLadder(path), /holds 400 bytes/);
    await Deno.remove(join(root, "small.f32"));
    await assertRejects(() => readLadder(path), /weights file .*small\.f32 is missing/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("ladder format: the kit's prey in the old maddpg JSON and in JSON + .f32 act the same", async () => {
  const root = await Deno.makeTempDir();
  try {
    for (const name of ["predator_prey", "world"]) {
      const task = makeTask(name);
      const json = JSON.parse(new TextDecoder().decode(await readKitData(`prey/${name}.json`)));
      const f32 = await readKitData(`prey/${json.weights.file}`);
      const values = new Float32Array(f32.buffer, f32.byteOffset, f32.length / 4);
      // the old file: every tensor as nested plain arrays ([out][in] rows for weights)
      const { weights: _, ...rest } = json;
      const agent = joinFloat32(rest, values) as Record<string, unknown>;
      const rows = (w: Float32Array, n: number) =>
        Array.from({ length: w.length / n }, (_, o) => Array.from(w.subarray(o * n, (o + 1) * n)));
      const h1 = (agent["fc1.bias"] as Float32Array).length, h2 = (agent["fc2.bias"] as Float32Array).length;
      const old = {
        ...agent,
        "fc1.weight": rows(agent["fc1.weight"] as Float32Array, json.num_in),
        "fc2.weight": rows(agent["fc2.weight"] as Float32Array, h1),
        "fc3.weight": rows(agent["fc3.weight"] as Float32Array, h2),
        "fc1.bias": Array.from(agent["fc1.bias"] as Float32Array),
        "fc2.bias": Array.from(agent["fc2.bias"] as Float32Array),
        "fc3.bias": Array.from(agent["fc3.bias"] as Float32Array),
      };
      await Deno.writeTextFile(join(root, `${name}.json`), JSON.stringify(old) + "\n");
      const a = await loadPrey(task, { source: "kit" });
      const b = await loadPrey(task, { source: "kit", kitDir: root });
      const obs = Float64Array.from({ length: 8 * a.obsDim }, (_, i) => Math.sin(i * 0.7) * 2);
      const outA = new Float64Array(8 * a.actDim), outB = new Float64Array(8 * b.actDim);
      a.act(obs, outA, 8);
      b.act(obs, outB, 8);
      assertEquals(outA, outB, `${name}: same actions`);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("ladder format: splitFloat32 / joinFloat32 keep the bits (NaN payloads, -0) and check ranges", () => {
  const bits = new Uint32Array([0x7fc00001, 0x80000000, 0x3f800000, 0xff800000]);
  const value = {
    a: new Float32Array(bits.buffer),
    b: [1, "x", null, { c: new Float32Array([2.5]) }],
    u: undefined,
  };
  const { json, data } = splitFloat32(value);
  assertEquals(data.length, 5);
  assertEquals(JSON.parse(JSON.stringify(json)), {
    a: { f32: [0, 4] },
    b: [1, "x", null, { c: { f32: [4, 1] } }],
    u: null,
  });
  const back = joinFloat32(json, data) as { a: Float32Array; b: [number, string, null, { c: Float32Array }] };
  assertEquals(Array.from(new Uint32Array(back.a.slice().buffer)), Array.from(bits));
  assertEquals(back.b[3].c[0], 2.5);
  assert(
    (() => {
      try {
        joinFloat32({ x: { f32: [3, 5] } }, data, "f.json");
        return false;
      } catch (e) {
        return e instanceof KitInputError && /f\.json/.test(e.message) && /outside/.test(e.message);
      }
    })(),
    "an out-of-range reference names the file",
  );
});

Deno.test("kit data: the index lists every ladder and prey file; unknown files and ladders are clear errors", async () => {
  const files = kitDataIndex().files;
  for await (const e of Deno.readDir(new URL("../fixtures/behaviour/", import.meta.url))) {
    assert(Object.hasOwn(files, `behaviour/${e.name}`), `${e.name} is in fixtures/index.json`);
  }
  assert(files["behaviour/cooperative_navigation.f32"].published, "the Table 1 ladders are published");
  assert(!files["behaviour/halfcheetah_2x3.f32"].published, "the HalfCheetah ladder is downloaded");
  await assertRejects(() => readKitData("behaviour/nope.json"), /not one of the kit's data files/);
  await assertRejects(() => loadLadder("spread_1d_n9", null), /no behaviour ladder for spread_1d_n9/);
});

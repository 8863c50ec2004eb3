import { assert, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import { KitInputError } from "../lib/util/errors.ts";
import { type NpyArray, readNpy, readNpyFile, writeNpy, writeNpyFile } from "../lib/util/npy.ts";

const enc = new TextEncoder();

/** An error check: a KitInputError whose message contains every one of `parts`. */
function mentions(...parts: string[]): (err: unknown) => boolean {
  return (err: unknown) => {
    assert(err instanceof KitInputError, `expected a KitInputError, got ${err}`);
    for (const p of parts) {
      assert(err.message.includes(p), `message ${JSON.stringify(err.message)} lacks "${p}"`);
    }
    return true;
  };
}

/** A .npy file with a hand-made header (any version, any dict), padded to 64 bytes, then `data`. */
function rawNpy(major: number, dict: string, data: Uint8Array): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const head = enc.encode(dict);
  const total = Math.ceil((prefix + head.length + 1) / 64) * 64;
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, total - prefix, true);
  else view.setUint32(8, total - prefix, true);
  out.set(head, prefix);
  out.fill(0x20, prefix + head.length, total - 1);
  out[total - 1] = 0x0a;
  out.set(data, total);
  return out;
}

const SAMPLES: NpyArray[] = [
  { dtype: "<f4", shape: [2, 3], data: Float32Array.from([0.1, -2.5, 3e30, 0, -0, 1 / 3]) },
  { dtype: "<f8", shape: [4], data: Float64Array.from([Math.PI, -1e-300, 1e300, 0]) },
  { dtype: "<i4", shape: [3, 1], data: Int32Array.from([-2147483648, 0, 2147483647]) },
  { dtype: "<i8", shape: [2], data: BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n]) },
  { dtype: "|u1", shape: [2, 2], data: Uint8Array.from([0, 1, 128, 255]) },
  { dtype: "|b1", shape: [3], data: Uint8Array.from([1, 0, 1]) },
  { dtype: "<f8", shape: [], data: Float64Array.from([2.5]) },
  { dtype: "<f4", shape: [0, 5], data: new Float32Array(0) },
  // 16 axes: NumPy's 21-character growth padding pushes this header past 128 bytes (to 192).
  { dtype: "<f4", shape: Array(16).fill(1), data: Float32Array.from([1.5]) },
];

Deno.test("npy: round trip of every dtype, data start at a multiple of 64", () => {
  for (const arr of SAMPLES) {
    const bytes = writeNpy(arr);
    const headerLen = new DataView(bytes.buffer).getUint16(8, true);
    assertEquals((10 + headerLen) % 64, 0, `${arr.dtype} data offset`);
    const back = readNpy(bytes, "x.npy");
    assertEquals(back, arr);
    // Same array again: identical bytes.
    assertEquals(writeNpy(arr), bytes);
  }
});

Deno.test("npy: reads from an unaligned view and copies the data", () => {
  const bytes = writeNpy(SAMPLES[1]);
  const padded = new Uint8Array(bytes.length + 3);
  padded.set(bytes, 3);
  const view = padded.subarray(3);
  const back = readNpy(view, "x.npy");
  assertEquals(back.data, SAMPLES[1].data);
  assertEquals(back.data.byteOffset, 0);
  padded.fill(0);
  assertEquals(back.data, SAMPLES[1].data, "the result must not alias the input bytes");
});

Deno.test("npy: exact header bytes as NumPy writes them", () => {
  const bytes = writeNpy({ dtype: "<f4", shape: [2, 3], data: new Float32Array(6) });
  const expected = "\x93NUMPY\x01\x00\x76\x00" +
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
    " ".repeat(58) + "\n";
  assertEquals(bytes.length, 128 + 24);
  assertEquals(Array.from(bytes.subarray(0, 128)), Array.from(expected, (c) => c.charCodeAt(0)));

  const oneD = writeNpy({ dtype: "<f8", shape: [1000], data: new Float64Array(1000) });
  const head = new TextDecoder("latin1").decode(oneD.subarray(10, 128));
  assert(head.startsWith("{'descr': '<f8', 'fortran_order': False, 'shape': (1000,), }"), head);
  // NumPy's growth padding (room for 21 digits of the first axis) makes this header 192 bytes, not 128 (+ 4 of data).
  assertEquals(writeNpy({ dtype: "<f4", shape: Array(16).fill(1), data: new Float32Array(1) }).length, 196);
  const scalar = writeNpy({ dtype: "|b1", shape: [], data: Uint8Array.from([1]) });
  assert(new TextDecoder().decode(scalar).includes("'shape': (), }"));
});

Deno.test("npy: reads format 2.0 and 3.0 headers", () => {
  const data = new Uint8Array(Float32Array.from([1, 2, 3, 4]).buffer);
  const v2 = rawNpy(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", data);
  assertEquals(readNpy(v2, "v2.npy"), { dtype: "<f4", shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) });
  const v3 = rawNpy(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'é': 1}", data);
  assertEquals(readNpy(v3, "v3.npy").shape, [4]);
  // Old Python-2 style ints and key order do not matter.
  const v1 = rawNpy(1, "{'shape': (2L, 2L), 'fortran_order': False, 'descr': '<f4'}", data);
  assertEquals(readNpy(v1, "v1.npy").shape, [2, 2]);
});

Deno.test("npy: bad magic, truncation, fortran order, big-endian and unsupported dtypes are clear errors", async () => {
  assertThrows(
    () => readNpy(enc.encode("PK\x03\x04 this is a zip file"), "obs_0.npy"),
    mentions("obs_0.npy", "not a .npy file"),
  );
  assertThrows(() => readNpy(new Uint8Array(0), "empty.npy"), mentions("empty.npy", "not a .npy file"));

  const full = writeNpy({ dtype: "<f4", shape: [1000, 18], data: new Float32Array(18000) });
  assertThrows(
    () => readNpy(full.subarray(0, 128 + 50000), "obs_0.npy"),
    mentions(
      "obs_0.npy: truncated: header says shape (1000, 18) float32 = 72000 bytes of data, file has 50000",
    ),
  );
  assertThrows(() => readNpy(full.subarray(0, 60), "obs_0.npy"), mentions("obs_0.npy", "truncated"));
  const extra = new Uint8Array(full.length + 4);
  extra.set(full);
  assertThrows(() => readNpy(extra, "obs_0.npy"), mentions("obs_0.npy", "unexpected bytes", "72000"));

  const data = new Uint8Array(16);
  assertThrows(
    () => readNpy(rawNpy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", data), "f.npy"),
    mentions("f.npy", "fortran_order", "C-order"),
  );
  assertThrows(
    () => readNpy(rawNpy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", data), "be.npy"),
    mentions("be.npy", "big-endian", ">f4", "little-endian"),
  );
  assertThrows(
    () => readNpy(rawNpy(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (8,), }", data), "h.npy"),
    mentions("h.npy", "unsupported dtype <f2", "<f4"),
  );
  assertThrows(
    () =>
      readNpy(rawNpy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }", data), "s.npy"),
    mentions("s.npy", "structured"),
  );
  assertThrows(
    () => readNpy(rawNpy(1, "{'descr': '<f4', 'fortran", data), "m.npy"),
    mentions("m.npy", "malformed"),
  );
  const v9 = writeNpy(SAMPLES[0]);
  v9[6] = 9;
  assertThrows(() => readNpy(v9, "v9.npy"), mentions("v9.npy", "version 9.0", "1.0, 2.0 or 3.0"));

  await assertRejects(
    () => readNpyFile("/nonexistent/dir/obs_0.npy"),
    mentions("/nonexistent/dir/obs_0.npy", "not found"),
  );
});

Deno.test("npy: writeNpy rejects data that does not match dtype or shape", () => {
  assertThrows(
    () => writeNpy({ dtype: "<f4", shape: [3], data: new Float64Array(3) }),
    mentions("Float32Array", "Float64Array"),
  );
  assertThrows(
    () => writeNpy({ dtype: "<f4", shape: [2, 2], data: new Float32Array(3) }),
    mentions("(2, 2)", "4 elements", "3"),
  );
  assertThrows(
    () => writeNpy({ dtype: "<f4", shape: [-1], data: new Float32Array(0) }),
    mentions("non-negative"),
  );
});

Deno.test("npy: file helpers write atomically and read back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "npy_test_" });
  try {
    const path = `${dir}/a.npy`;
    await writeNpyFile(path, SAMPLES[0]);
    assertEquals(await readNpyFile(path), SAMPLES[0]);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["a.npy"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Runs python3 with `script`; returns stdout, or null when python3 with numpy is not available. */
async function python(script: string): Promise<string> {
  const out = await new Deno.Command("python3", { args: ["-c", script], stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(`python3 failed: ${new TextDecoder().decode(out.stderr)}`);
  return text;
}

async function numpyAvailable(): Promise<boolean> {
  try {
    const out = await new Deno.Command("python3", {
      args: ["-c", "import numpy"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    if (out.success) return true;
  } catch {
    // no python3
  }
  if (Deno.env.get("OMAR_KIT_REQUIRE_NUMPY") === "1") {
    throw new Error("OMAR_KIT_REQUIRE_NUMPY=1 but `python3 -c 'import numpy'` fails");
  }
  console.log("npy interop: skipped (no python3 with numpy; set OMAR_KIT_REQUIRE_NUMPY=1 to make this fail)");
  return false;
}

Deno.test("npy: NumPy interop (kit → numpy and numpy → kit)", async () => {
  if (!(await numpyAvailable())) return;
  const dir = await Deno.makeTempDir({ prefix: "npy_interop_" });
  try {
    // Kit writes; NumPy loads, checks dtype, shape and values, and re-saves: np.save must give our bytes.
    const names: string[] = [];
    for (const [i, arr] of SAMPLES.entries()) {
      await writeNpyFile(`${dir}/kit_${i}.npy`, arr);
      names.push(`kit_${i}.npy`);
    }
    const report = JSON.parse(
      await python(`
import json, io, numpy as np
out = []
for name in ${JSON.stringify(names)}:
    path = ${JSON.stringify(dir)} + "/" + name
    a = np.load(path)
    b = io.BytesIO(); np.save(b, a)
    same = b.getvalue() == open(path, "rb").read()
    vals = [int(v) if a.dtype.kind in "iub" else float(v) for v in a.ravel()]
    out.append({"descr": a.dtype.str, "shape": list(a.shape), "values": [str(v) for v in vals], "same": same})
print(json.dumps(out))
`),
    ) as { descr: string; shape: number[]; values: string[]; same: boolean }[];
    for (const [i, arr] of SAMPLES.entries()) {
      const r = report[i];
      assertEquals(r.descr, arr.dtype, `kit_${i}.npy dtype`);
      assertEquals(r.shape, arr.shape, `kit_${i}.npy shape`);
      const mine = Array.from(
        arr.data as ArrayLike<number | bigint>,
        (v) => typeof v === "bigint" ? v.toString() : Number(v),
      );
      const theirs = r.values.map((s) => (arr.dtype === "<i8" ? s : Number(s)));
      assertEquals(theirs.map(String), mine.map(String), `kit_${i}.npy values`);
      assert(r.same, `kit_${i}.npy: np.save of the loaded array differs from the kit's bytes`);
    }

    // NumPy writes; the kit reads.
    await python(`
import numpy as np
d = ${JSON.stringify(dir)}
np.save(d + "/np_f8.npy", np.arange(12, dtype=np.float64).reshape(3, 4) / 7)
np.save(d + "/np_f4.npy", (np.arange(5, dtype=np.float32) - 2) / 3)
np.save(d + "/np_b1.npy", np.array([True, False, False, True]))
np.save(d + "/np_i8.npy", np.array([-5, 7]))
`);
    const f8 = await readNpyFile(`${dir}/np_f8.npy`);
    assertEquals(f8.dtype, "<f8");
    assertEquals(f8.shape, [3, 4]);
    assertEquals(f8.data, Float64Array.from({ length: 12 }, (_, k) => k / 7));
    const f4 = await readNpyFile(`${dir}/np_f4.npy`);
    assertEquals(f4.dtype, "<f4");
    assertEquals(f4.shape, [5]);
    // NumPy divides in float32: (k - 2) / 3 rounded once to float32.
    assertEquals(f4.data, Float32Array.from({ length: 5 }, (_, k) => (k - 2) / 3));
    const b1 = await readNpyFile(`${dir}/np_b1.npy`);
    assertEquals(b1, { dtype: "|b1", shape: [4], data: Uint8Array.from([1, 0, 0, 1]) });
    const i8 = await readNpyFile(`${dir}/np_i8.npy`);
    assertEquals(i8, { dtype: "<i8", shape: [2], data: BigInt64Array.from([-5n, 7n]) });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

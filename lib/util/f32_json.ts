/**
 * JSON files with their float32 arrays beside them: `<name>.json` holds everything small (settings,
 * scores, shapes) and a `weights` entry naming `<name>.f32`, the arrays' raw little-endian float32 values
 * back to back, with its size and sha256. Each array in the JSON is `{ "f32": [offset, length] }` (in
 * elements). Same bits as in memory, a quarter of the size of base64 in JSON, and the JSON stays readable.
 *
 * @module
 */
import { KitInputError } from "./errors.ts";
import { sha256Hex } from "./fs.ts";

/** The `weights` entry of a JSON file whose arrays live in a companion float32 file. */
export interface Float32FileRef {
  /** The companion file's name, in the JSON file's folder. */
  file: string;
  /** Its size in bytes (4 per value). */
  bytes: number;
  /** Hex sha256 of its bytes. */
  sha256: string;
}

/** JSON-able data (what {@link splitFloat32} leaves in the JSON). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Moves every `Float32Array` in `value` into one array: each becomes `{ f32: [offset, length] }`.
 * `undefined` becomes `null`.
 */
export function splitFloat32(value: unknown): { json: JsonValue; data: Float32Array } {
  const parts: Float32Array[] = [];
  let length = 0;
  const walk = (v: unknown): JsonValue => {
    if (v instanceof Float32Array) {
      parts.push(v);
      length += v.length;
      return { f32: [length - v.length, v.length] };
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const out: Record<string, JsonValue> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v === undefined ? null : v as JsonValue;
  };
  const json = walk(value);
  const data = new Float32Array(length);
  let offset = 0;
  for (const p of parts) data.set(p, offset), offset += p.length;
  return { json, data };
}

/**
 * Reverses {@link splitFloat32}: every `{ f32: [offset, length] }` becomes a view of `data`. Inline arrays
 * `{ f32: "<base64 of the little-endian bytes>" }` (the older form, `encodeState` in `lib/nn/state.ts`)
 * are decoded too.
 */
export function joinFloat32(value: JsonValue, data: Float32Array, where = "file"): unknown {
  const walk = (v: JsonValue): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const ref = v.f32;
      if (Array.isArray(ref) && Object.keys(v).length === 1) {
        const [offset, length] = ref as number[];
        if (
          ref.length !== 2 || !Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 ||
          length < 0 || offset + length > data.length
        ) {
          throw new KitInputError(
            `${where}: float32 range [${ref}] lies outside the ${data.length} stored values`,
          );
        }
        return data.subarray(offset, offset + length);
      }
      if (typeof ref === "string" && Object.keys(v).length === 1) return fromBase64(ref, where);
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value);
}

function fromBase64(text: string, where: string): Float32Array {
  let s: string;
  try {
    s = atob(text);
  } catch {
    throw new KitInputError(`${where}: an inline float32 array is not valid base64`);
  }
  if (s.length % 4 !== 0) throw new KitInputError(`${where}: an inline float32 array is cut short`);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return new Float32Array(out.buffer);
}

/**
 * The two files of `value` stored under `name` (`<name>.json`'s text and `<name>.f32`'s bytes); the JSON
 * gets `weights` describing the float32 file.
 */
export async function encodeFloat32Files(
  value: Record<string, unknown>,
  name: string,
): Promise<{ json: string; f32: Uint8Array }> {
  const { json, data } = splitFloat32(value);
  const f32 = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const weights: Float32FileRef = { file: `${name}.f32`, bytes: f32.length, sha256: await sha256Hex(f32) };
  return { json: JSON.stringify({ ...(json as Record<string, JsonValue>), weights }) + "\n", f32 };
}

/**
 * Parses a JSON file written by {@link encodeFloat32Files}: reads its float32 file through `read` (by the
 * name its `weights` entry gives), checks size and sha256 and puts the arrays back. JSON without a
 * `weights` entry is returned as parsed, inline base64 arrays decoded. `where` names the file in errors.
 */
export async function decodeFloat32Files(
  text: string,
  where: string,
  read: (file: string) => Promise<Uint8Array>,
): Promise<Record<string, unknown>> {
  let json: Record<string, JsonValue>;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new KitInputError(
      `${where}: not valid JSON (${(err as Error).message}); the file may be truncated`,
    );
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new KitInputError(`${where}: expected a JSON object`);
  }
  if (!("weights" in json)) return joinFloat32(json, new Float32Array(0), where) as Record<string, unknown>;
  const { weights, ...rest } = json;
  const ref = weights as Partial<Float32FileRef> | null;
  if (
    ref === null || typeof ref !== "object" || typeof ref.file !== "string" || /[\\/]/.test(ref.file) ||
    typeof ref.bytes !== "number" || typeof ref.sha256 !== "string"
  ) {
    throw new KitInputError(`${where}: "weights" must name a float32 file ({file, bytes, sha256})`);
  }
  const bytes = await read(ref.file);
  const sha = await sha256Hex(bytes);
  if (bytes.length !== ref.bytes || sha !== ref.sha256 || bytes.length % 4 !== 0) {
    throw new KitInputError(
      `${where}: its weights file ${ref.file} should hold ${ref.bytes} bytes with sha256 ${ref.sha256}, ` +
        `it holds ${bytes.length} bytes with sha256 ${sha} (truncated or replaced?)`,
    );
  }
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const data = new Float32Array(aligned.buffer, aligned.byteOffset, aligned.length / 4);
  return joinFloat32(rest as JsonValue, data, where) as Record<string, unknown>;
}

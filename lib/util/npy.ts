/**
 * NumPy `.npy` files: read (format versions 1.0, 2.0 and 3.0) and write (1.0, or 2.0 for a header over
 * 65535 bytes), little-endian and C order only. {@link writeNpy} produces the same bytes as NumPy's
 * `np.save` (same header dict, the same 21-character growth padding, data aligned to 64 bytes), so a
 * file written here loads in NumPy unchanged and the same array always gives the same bytes.
 *
 * @module
 */
import { KitInputError } from "./errors.ts";
import { writeFileAtomic } from "./fs.ts";

/** The dtypes the kit reads and writes, as NumPy spells them in the header's `descr`. */
export type NpyDtype = "<f4" | "<f8" | "<i4" | "<i8" | "|u1" | "|b1";

/** The typed array holding an {@link NpyArray}'s elements (booleans as 0/1 bytes). */
export type NpyData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** An n-dimensional array in C (row-major) order. */
export interface NpyArray {
  /** Element type: `<f4` ↔ Float32Array, `<f8` ↔ Float64Array, `<i4` ↔ Int32Array, `<i8` ↔ BigInt64Array, `|u1` and `|b1` ↔ Uint8Array. */
  dtype: NpyDtype;
  /** Dimensions; `[]` is a 0-d (scalar) array with one element. */
  shape: number[];
  /** The elements, row-major; length = product of `shape`. */
  data: NpyData;
}

interface DtypeInfo {
  size: number;
  name: string;
  ctor:
    | Float32ArrayConstructor
    | Float64ArrayConstructor
    | Int32ArrayConstructor
    | BigInt64ArrayConstructor
    | Uint8ArrayConstructor;
}

const DTYPES: Record<NpyDtype, DtypeInfo> = {
  "<f4": { size: 4, name: "float32", ctor: Float32Array },
  "<f8": { size: 8, name: "float64", ctor: Float64Array },
  "<i4": { size: 4, name: "int32", ctor: Int32Array },
  "<i8": { size: 8, name: "int64", ctor: BigInt64Array },
  "|u1": { size: 1, name: "uint8", ctor: Uint8Array },
  "|b1": { size: 1, name: "bool", ctor: Uint8Array },
};

/** The NumPy name of a dtype (`float32` for `<f4`, …). */
export function npyDtypeName(dtype: NpyDtype): string {
  return DTYPES[dtype].name;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const ARRAY_ALIGN = 64;
const GROWTH_AXIS_MAX_DIGITS = 21;
const SUPPORTED = Object.keys(DTYPES).join(", ");

// ---------------------------------------------------------------------------------------------------
// A tiny parser for the Python literal in the header: dicts, tuples, lists, strings, ints, booleans.

type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

class PyLiteralParser {
  #s: string;
  #i = 0;
  #name: string;

  constructor(s: string, name: string) {
    this.#s = s;
    this.#name = name;
  }

  parseAll(): PyValue {
    const v = this.#value();
    this.#ws();
    if (this.#i < this.#s.length) this.#fail("unexpected text after the header dict");
    return v;
  }

  #fail(what: string): never {
    throw new KitInputError(
      `${this.#name}: malformed .npy header (${what} at character ${this.#i} of ${
        JSON.stringify(this.#s)
      }); ` +
        "expected a Python dict literal like {'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
    );
  }

  #ws(): void {
    while (this.#i < this.#s.length && /\s/.test(this.#s[this.#i])) this.#i++;
  }

  #value(): PyValue {
    this.#ws();
    const c = this.#s[this.#i];
    if (c === "{") return this.#dict();
    if (c === "(") return this.#seq(")");
    if (c === "[") return this.#seq("]");
    if (c === "'" || c === '"') return this.#str();
    const m = /^(-?\d+)L?|^(True|False|None)\b/.exec(this.#s.slice(this.#i));
    if (!m) this.#fail("unexpected token");
    this.#i += m[0].length;
    if (m[1] !== undefined) return Number(m[1]);
    return m[2] === "None" ? null : m[2] === "True";
  }

  #str(): string {
    const q = this.#s[this.#i++];
    let out = "";
    while (this.#i < this.#s.length && this.#s[this.#i] !== q) {
      if (this.#s[this.#i] === "\\") this.#i++;
      out += this.#s[this.#i++];
    }
    if (this.#i >= this.#s.length) this.#fail("unterminated string");
    this.#i++;
    return out;
  }

  #seq(close: string): PyValue[] {
    this.#i++;
    const out: PyValue[] = [];
    for (;;) {
      this.#ws();
      if (this.#s[this.#i] === close) {
        this.#i++;
        return out;
      }
      out.push(this.#value());
      this.#ws();
      if (this.#s[this.#i] === ",") this.#i++;
      else if (this.#s[this.#i] !== close) this.#fail(`expected "," or "${close}"`);
    }
  }

  #dict(): { [key: string]: PyValue } {
    this.#i++;
    const out: { [key: string]: PyValue } = {};
    for (;;) {
      this.#ws();
      if (this.#s[this.#i] === "}") {
        this.#i++;
        return out;
      }
      const key = this.#value();
      if (typeof key !== "string") this.#fail("expected a string key");
      this.#ws();
      if (this.#s[this.#i++] !== ":") this.#fail('expected ":"');
      out[key] = this.#value();
      this.#ws();
      if (this.#s[this.#i] === ",") this.#i++;
      else if (this.#s[this.#i] !== "}") this.#fail('expected "," or "}"');
    }
  }
}

/** Python's repr of a shape tuple: `()`, `(7,)`, `(1000, 18)`. */
function shapeRepr(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(", ")})`;
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

// ---------------------------------------------------------------------------------------------------

/**
 * Parses the bytes of a `.npy` file. `name` (default `"<bytes>"`) names the file in errors. The data
 * are copied into a fresh, aligned buffer, so `bytes` may be any view (any byte offset).
 *
 * Throws {@link KitInputError} for: bad magic (not a .npy file), an unknown format version, a
 * malformed or truncated header, `fortran_order: True`, a big-endian or unsupported dtype, and data
 * shorter or longer than the header's shape × item size.
 */
export function readNpy(bytes: Uint8Array, name = "<bytes>"): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new KitInputError(
      `${name}: not a .npy file (expected the magic bytes \\x93NUMPY at the start, file has ${bytes.length} bytes)`,
    );
  }
  const major = bytes[6];
  const minor = bytes[7];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLen: number;
  if (major === 1 && minor === 0) {
    headerStart = 10;
    headerLen = view.getUint16(8, true);
  } else if ((major === 2 || major === 3) && minor === 0) {
    if (bytes.length < 12) {
      throw new KitInputError(`${name}: truncated: .npy ${major}.0 header length field is incomplete`);
    }
    headerStart = 12;
    headerLen = view.getUint32(8, true);
  } else {
    throw new KitInputError(
      `${name}: unsupported .npy format version ${major}.${minor}; expected 1.0, 2.0 or 3.0`,
    );
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) {
    throw new KitInputError(
      `${name}: truncated: header says it is ${headerLen} bytes long, file has ${
        bytes.length - headerStart
      } after the length field`,
    );
  }
  const headerBytes = bytes.subarray(headerStart, dataStart);
  const header = major === 3 ? new TextDecoder("utf-8").decode(headerBytes) : latin1(headerBytes);
  const dict = new PyLiteralParser(header, name).parseAll();
  if (dict === null || typeof dict !== "object" || Array.isArray(dict)) {
    throw new KitInputError(`${name}: malformed .npy header: expected a dict, got ${JSON.stringify(header)}`);
  }
  const { descr, fortran_order: fortran, shape } = dict;
  if (typeof descr !== "string") {
    throw new KitInputError(
      `${name}: unsupported dtype ${
        JSON.stringify(descr)
      } (structured arrays are not supported); expected one of ${SUPPORTED}`,
    );
  }
  if (fortran !== false) {
    throw new KitInputError(
      `${name}: fortran_order is ${
        JSON.stringify(fortran)
      }; only C-order arrays are supported (save with np.ascontiguousarray)`,
    );
  }
  if (
    !Array.isArray(shape) || shape.some((d) => typeof d !== "number" || !Number.isSafeInteger(d) || d < 0)
  ) {
    throw new KitInputError(
      `${name}: malformed .npy header: shape ${JSON.stringify(shape)}; expected a tuple of non-negative ints`,
    );
  }
  const dims = shape as number[];
  // One-byte types have no byte order: NumPy writes "|", but "<", ">" and "=" mean the same.
  const dtype = (/^[<>=|][ub]1$/.test(descr) ? `|${descr.slice(1)}` : descr) as NpyDtype;
  const info = DTYPES[dtype];
  if (info === undefined) {
    const bigEndian = descr.startsWith(">");
    throw new KitInputError(
      bigEndian
        ? `${name}: big-endian dtype ${descr}; only little-endian arrays are supported (convert with arr.astype(arr.dtype.newbyteorder("<")))`
        : `${name}: unsupported dtype ${descr}; expected one of ${SUPPORTED}`,
    );
  }
  const count = shapeSize(dims);
  const nbytes = count * info.size;
  const have = bytes.length - dataStart;
  if (have < nbytes) {
    throw new KitInputError(
      `${name}: truncated: header says shape ${
        shapeRepr(dims)
      } ${info.name} = ${nbytes} bytes of data, file has ${have}`,
    );
  }
  if (have > nbytes) {
    throw new KitInputError(
      `${name}: ${have - nbytes} unexpected bytes after the data: header says shape ${
        shapeRepr(dims)
      } ${info.name} = ${nbytes} bytes of data, file has ${have}`,
    );
  }
  // slice() copies into a fresh ArrayBuffer starting at offset 0, so every element type is aligned.
  const buffer = bytes.slice(dataStart, dataStart + nbytes).buffer;
  return { dtype, shape: dims.slice(), data: new info.ctor(buffer) };
}

/** The header NumPy writes for this dtype and shape, with the magic, length field and padding. */
function npyHeader(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  let dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeRepr(shape)}, }`;
  // NumPy leaves room for the first axis to grow in place (numpy/lib/format.py, GROWTH_AXIS_MAX_DIGITS).
  if (shape.length > 0) dict += " ".repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  const hlen = dict.length + 1; // + "\n"
  let prefix = 10;
  let padlen = ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
  let version = 1;
  if (hlen + padlen > 0xffff) {
    version = 2;
    prefix = 12;
    padlen = ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
  }
  const out = new Uint8Array(prefix + hlen + padlen);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, hlen + padlen, true);
  else view.setUint32(8, hlen + padlen, true);
  for (let i = 0; i < dict.length; i++) out[prefix + i] = dict.charCodeAt(i);
  out.fill(0x20, prefix + dict.length, out.length - 1);
  out[out.length - 1] = 0x0a;
  return out;
}

/**
 * Serialises `arr` as a `.npy` file, byte for byte as NumPy's `np.save` would (format 1.0, or 2.0 when
 * the header exceeds 65535 bytes; data start at a multiple of 64). Throws {@link KitInputError} when
 * the dtype is unsupported, the typed array does not match the dtype, or its length is not the
 * product of `shape`.
 */
export function writeNpy(arr: NpyArray): Uint8Array {
  const info = DTYPES[arr.dtype];
  if (info === undefined) {
    throw new KitInputError(
      `writeNpy: unsupported dtype ${JSON.stringify(arr.dtype)}; expected one of ${SUPPORTED}`,
    );
  }
  if (!(arr.data instanceof info.ctor)) {
    throw new KitInputError(
      `writeNpy: dtype ${arr.dtype} expects a ${info.ctor.name}, got a ${arr.data.constructor.name}`,
    );
  }
  if (arr.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new KitInputError(`writeNpy: shape ${JSON.stringify(arr.shape)}; expected non-negative integers`);
  }
  const count = shapeSize(arr.shape);
  if (arr.data.length !== count) {
    throw new KitInputError(
      `writeNpy: shape ${shapeRepr(arr.shape)} has ${count} elements, data has ${arr.data.length}`,
    );
  }
  const header = npyHeader(arr.dtype, arr.shape);
  const out = new Uint8Array(header.length + arr.data.byteLength);
  out.set(header, 0);
  out.set(new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength), header.length);
  return out;
}

/** Reads and parses the `.npy` file at `path`; a missing file is a {@link KitInputError} naming it. */
export async function readNpyFile(path: string): Promise<NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new KitInputError(`${path}: file not found (expected a .npy file)`);
    }
    throw err;
  }
  return readNpy(bytes, path);
}

/** Writes `arr` to `path` as a `.npy` file, atomically (temporary file, then rename). */
export async function writeNpyFile(path: string, arr: NpyArray): Promise<void> {
  await writeFileAtomic(path, writeNpy(arr));
}

/**
 * Optional host BLAS for the native kernels: OpenBLAS's `cblas_sgemm`, called through Deno FFI on
 * pointers into the tfjs wasm backend's own memory, does the large matrix products of the network
 * passes (native.c hands them out through its imported `sgemm`; bias rows, ReLU and masks stay in wasm).
 * On one thread it runs the kit's product shapes about 3x faster than the wasm SIMD kernels.
 *
 * It is used if and only if all of these hold, and otherwise everything runs in wasm, silently:
 * - `--allow-ffi` is granted without a path list (checked without prompting; pointers into the wasm
 *   memory need the unrestricted permission),
 * - `OMAR_BLAS` is not `0` (read only where `--allow-env` already allows it),
 * - an OpenBLAS library opens: `OMAR_BLAS_LIB` if set, else `libopenblas.so.0` / `libopenblas.so` on
 *   Linux (Debian: `apt-get install libopenblas0`), `libopenblas.dylib` (Homebrew paths) on macOS,
 *   `libopenblas.dll` on Windows (only the Linux names are tested),
 * - it exports `openblas_get_config` (a reference BLAS would be slower than the wasm kernels).
 *
 * OpenBLAS is set to one thread (`openblas_set_num_threads(1)`): the kit trains on one core per process.
 * Results agree with the wasm kernels to float32 rounding and are deterministic on one machine, so a
 * resumed run is bit-exact as long as it uses the same path.
 *
 * @module
 */
import { grantedEnv, permissionGranted } from "../util/permissions.ts";

/** The loaded library: where it came from and what it says it is. */
export interface BlasInfo {
  /** The path or name that `Deno.dlopen` opened. */
  library: string;
  /** `openblas_get_config()`, e.g. `OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64`. */
  config: string;
}

/**
 * The function native.c imports as `sgemm`: `C[M,N] = op(A)·B (+ C when acc)`, row-major, offsets in
 * the wasm memory (`op(A) = Aᵀ` with A stored `[K, M]` when `transA`).
 */
export type SgemmImport = (
  transA: number,
  M: number,
  N: number,
  K: number,
  A: number,
  lda: number,
  B: number,
  ldb: number,
  C: number,
  ldc: number,
  acc: number,
) => void;

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "pointer",
      "i32",
      "pointer",
      "i32",
      "f32",
      "pointer",
      "i32",
    ],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void" },
  openblas_get_config: { parameters: [], result: "pointer" },
} as const;

type BlasLibrary = Deno.DynamicLibrary<typeof SYMBOLS>;

const ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;
/** Cached pointer objects per memory: beyond this many distinct offsets the cache starts over. */
const POINTER_CACHE = 8192;

let loaded: { lib: BlasLibrary; info: BlasInfo } | null | undefined;
let enabled = true;

function candidates(): string[] {
  const own = grantedEnv("OMAR_BLAS_LIB");
  if (own) return [own];
  switch (Deno.build.os) {
    case "darwin":
      return [
        "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
        "/usr/local/opt/openblas/lib/libopenblas.dylib",
        "libopenblas.dylib",
      ];
    case "windows":
      return ["libopenblas.dll"];
    default:
      return ["libopenblas.so.0", "libopenblas.so"];
  }
}

function load(): { lib: BlasLibrary; info: BlasInfo } | null {
  if (typeof Deno?.dlopen !== "function" || !permissionGranted({ name: "ffi" })) return null;
  if (grantedEnv("OMAR_BLAS") === "0") return null;
  for (const name of candidates()) {
    let lib: BlasLibrary;
    try {
      lib = Deno.dlopen(name, SYMBOLS);
    } catch {
      continue; // not there, or not OpenBLAS (a missing symbol fails the whole dlopen)
    }
    try {
      const p = lib.symbols.openblas_get_config();
      const config = p === null ? "" : new Deno.UnsafePointerView(p).getCString();
      if (!config.toLowerCase().includes("openblas")) throw new Error("not OpenBLAS");
      lib.symbols.openblas_set_num_threads(1);
      return { lib, info: { library: name, config } };
    } catch {
      lib.close();
    }
  }
  return null;
}

function library(): { lib: BlasLibrary; info: BlasInfo } | null {
  if (loaded === undefined) loaded = load();
  return loaded;
}

/**
 * The OpenBLAS library in use for the native kernels' matrix products, or null when they run in wasm
 * (no `--allow-ffi`, `OMAR_BLAS=0`, no library, or turned off with {@link setBlas}). Loads it on the
 * first call.
 */
export function blasInfo(): BlasInfo | null {
  return enabled ? library()?.info ?? null : null;
}

/**
 * Turns the host BLAS on (the default, where it can load) or off for the following network passes; off,
 * the native kernels do every product in wasm. Turning it on where it cannot load changes nothing.
 */
export function setBlas(on: boolean): void {
  enabled = on;
}

/** Whether the following network passes send their large products to OpenBLAS. */
export function blasActive(): boolean {
  return blasInfo() !== null;
}

/**
 * The `sgemm` import for a native module instantiated on `memory`: calls `cblas_sgemm` with pointer
 * objects into the memory (cached per offset, rebuilt when the memory grows). Where no library is loaded
 * it throws; native.ts only lets the kernels call it while {@link blasActive}.
 */
export function sgemmImport(memory: WebAssembly.Memory): SgemmImport {
  const l = library();
  if (l === null) {
    return () => {
      throw new Error("omar-kit: sgemm called without a BLAS library");
    };
  }
  const sgemm = l.lib.symbols.cblas_sgemm;
  let buffer: ArrayBufferLike | null = null;
  let base: Deno.PointerObject | null = null;
  const cache = new Map<number, Deno.PointerObject>();
  const ptr = (offset: number): Deno.PointerObject => {
    const off = offset >>> 0;
    let p = cache.get(off);
    if (p === undefined) {
      if (cache.size >= POINTER_CACHE) cache.clear();
      p = Deno.UnsafePointer.offset(base!, off) as Deno.PointerObject;
      cache.set(off, p);
    }
    return p;
  };
  return (transA, M, N, K, A, lda, B, ldb, C, ldc, acc) => {
    if (memory.buffer !== buffer) {
      buffer = memory.buffer;
      base = Deno.UnsafePointer.of(new Uint8Array(buffer)) as Deno.PointerObject;
      cache.clear();
    }
    sgemm(
      ROW_MAJOR,
      transA ? TRANS : NO_TRANS,
      NO_TRANS,
      M,
      N,
      K,
      1,
      ptr(A),
      lda,
      ptr(B),
      ldb,
      acc ? 1 : 0,
      ptr(C),
      ldc,
    );
  };
}

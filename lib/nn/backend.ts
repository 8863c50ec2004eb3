/**
 * tfjs backend set-up. The kit trains on the `wasm` backend (XNNPACK with SIMD; Deno has no wasm threads
 * here, so it runs on one core) and falls back to the pure-JS `cpu` backend when wasm cannot start.
 *
 * Under Deno the wasm binaries load offline from `node_modules`: tfjs-backend-wasm runs in its Node mode
 * (`IS_NODE`), where Emscripten reads `tfjs-backend-wasm-simd.wasm` next to the package's own JS file, so no
 * `setWasmPaths` call is needed. If that ever fails, {@link initBackend} retries once with the paths set
 * explicitly from the installed package's location, then falls back to `cpu` with a one-line warning.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

/** The backends the kit supports. */
export type BackendName = "wasm" | "cpu";

let pending: Promise<BackendName> | null = null;
let pendingFor: BackendName | null = null;

/**
 * Makes `name` (default `wasm`) the active tfjs backend and resolves to the backend actually in use. A
 * `wasm` request that cannot start falls back to `cpu` and prints one warning. Idempotent: repeated calls
 * with the same name share one set-up; a different name switches backends.
 */
export function initBackend(name: BackendName = "wasm"): Promise<BackendName> {
  if (pending !== null && pendingFor === name) return pending;
  pendingFor = name;
  pending = setUp(name);
  return pending;
}

async function setUp(name: BackendName): Promise<BackendName> {
  // Silences tfjs's "install tfjs-node" banner and other development warnings.
  tf.env().set("PROD", true);
  if (name === "wasm") {
    if (await trySet("wasm")) return "wasm";
    const dir = wasmDir();
    if (dir !== null) {
      try {
        setWasmPaths(dir);
        if (await trySet("wasm")) return "wasm";
      } catch {
        // setWasmPaths refuses once the backend has been initialised; fall through to cpu.
      }
    }
    console.warn("omar-kit: the tfjs wasm backend could not start; using the (slower) cpu backend");
  }
  if (!(await trySet("cpu"))) throw new Error("omar-kit: could not start the tfjs cpu backend");
  return "cpu";
}

async function trySet(name: BackendName): Promise<boolean> {
  if (tf.getBackend() === name) return true;
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

function wasmDir(): string | null {
  try {
    const url = import.meta.resolve("@tensorflow/tfjs-backend-wasm");
    if (!url.startsWith("file:")) return null;
    const path = decodeURIComponent(new URL(url).pathname);
    return path.slice(0, path.lastIndexOf("/") + 1);
  } catch {
    return null;
  }
}

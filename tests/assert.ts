// The one module tests take assertions from. It re-exports node:assert/strict because JSR
// (@std/assert) is unreachable from the machines the kit is built on; switching is a one-line change.
export {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects as assertRejects,
  throws as assertThrows,
} from "node:assert/strict";

/** Asserts |actual - expected| <= tol, with a message naming `what`. */
export function assertClose(actual: number, expected: number, tol: number, what = "value"): void {
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(
      `${what}: expected ${expected} ± ${tol}, got ${actual} (diff ${Math.abs(actual - expected)})`,
    );
  }
}

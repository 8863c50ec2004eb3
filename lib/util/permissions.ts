/**
 * Permission checks that never prompt: a library module reads an environment variable or opens a native
 * library only where the user already granted it, and otherwise behaves as if it were absent.
 *
 * @module
 */

/** Whether `desc` is already granted (false where it is not, or where it cannot be queried). */
export function permissionGranted(desc: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(desc).state === "granted";
  } catch {
    return false;
  }
}

/** An environment variable, read only where `--allow-env` already covers it (never prompts). */
export function grantedEnv(name: string): string | undefined {
  return permissionGranted({ name: "env", variable: name }) ? Deno.env.get(name) : undefined;
}

/**
 * The kit's error type for bad input: a missing or malformed file, a wrong shape, an unknown name.
 * Its message names the thing and what was expected, so a CLI can print it as is.
 *
 * @module
 */

/** Bad input from a user, a file or a flag. CLIs print `message` without a stack trace. */
export class KitInputError extends Error {
  /** Creates the error; `message` names the thing and what was expected. */
  constructor(message: string) {
    super(message);
    this.name = "KitInputError";
  }
}

/** Throws a {@link KitInputError} for `name` unless it is one of `valid`; returns it typed. */
export function checkName<T extends string>(kind: string, name: string, valid: readonly T[]): T {
  if (!(valid as readonly string[]).includes(name)) {
    throw new KitInputError(`unknown ${kind} "${name}"; expected one of: ${valid.join(", ")}`);
  }
  return name as T;
}

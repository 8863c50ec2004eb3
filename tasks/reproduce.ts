/**
 * `deno task reproduce TARGET [--profile smoke|quick|paper] [--out DIR]` and `deno task reproduce list`:
 * runs one of the paper's tables or figures (or the kit's reference measurements) and prints it with
 * the paper's numbers beside.
 *
 * @module
 */
import { join } from "node:path";
import { parseFlags, runMain } from "../lib/util/cli.ts";
import { KitInputError } from "../lib/util/errors.ts";
import { parseProfile, PROFILES } from "../lib/experiments/profiles.ts";
import { findTarget, TARGETS } from "../lib/experiments/targets.ts";

const USAGE = "usage: deno task reproduce TARGET|list [--profile smoke|quick|paper] [--out results]";

runMain(async () => {
  const { flags, positionals } = parseFlags(Deno.args, {
    profile: { type: "string", default: "quick" },
    out: { type: "string", default: "results" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) return console.log(USAGE);
  if (positionals.length !== 1) throw new KitInputError(`expected one target; ${USAGE}`);
  const profile = parseProfile(flags.profile as string);
  if (positionals[0] === "list") {
    console.log(`target       cost (${PROFILES.join(" / ")})            what`);
    for (const t of TARGETS) {
      const cost = t.run ? PROFILES.map((p) => t.cost[p]).join(" / ") : "not available yet";
      console.log(`${t.name.padEnd(12)} ${cost.padEnd(32)} ${t.description}`);
    }
    return;
  }
  const target = findTarget(positionals[0]);
  if (!target.run) throw new KitInputError(`target "${target.name}" is not available yet: ${target.pending}`);
  const outDir = join(flags.out as string, target.name, profile);
  console.log(`reproduce ${target.name} (profile ${profile}; ${target.cost[profile]}) → ${outDir}`);
  console.log(await target.run(profile, outDir));
});

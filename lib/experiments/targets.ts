/**
 * The targets of `deno task reproduce`: what each reproduces, what it costs per profile, and whether
 * the kit can run it yet.
 *
 * @module
 */
import { join } from "node:path";
import { KitInputError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { Progress } from "../util/progress.ts";
import type { Profile } from "./profiles.ts";
import { measureReferences, REFERENCE_EPISODES, type ReferenceRow } from "./references.ts";

/** A reproduce target. */
export interface Target {
  /** Name typed on the command line. */
  name: string;
  /** What it reproduces. */
  description: string;
  /** Rough cost per profile on one core. */
  cost: Record<Profile, string>;
  /** Runs it, writing results under `outDir`; returns the printed report. Absent while not built yet. */
  run?: (profile: Profile, outDir: string) => Promise<string>;
  /** For targets not built yet: what they wait for. */
  pending?: string;
}

const fmt = (x: number, digits = 2) => x.toFixed(digits);

function referencesReport(rows: ReferenceRow[], profile: Profile): string {
  const lines = [
    `Reference behaviours on OMAR's MPE tasks (profile ${profile}; original prey; kit mean ± std [s.e.])`,
    "task                     behaviour        kit                          original code     paper",
  ];
  for (const r of rows) {
    const kit = `${fmt(r.mean)} ± ${fmt(r.std)} [${fmt(r.stderr)}]`;
    const orig = r.original ? `${fmt(r.original.mean)} ± ${fmt(r.original.std)}` : "–";
    lines.push(
      `${r.task.padEnd(24)} ${r.behaviour.padEnd(16)} ${kit.padEnd(28)} ${orig.padEnd(17)} ${r.paper ?? "–"}`,
    );
  }
  return lines.join("\n");
}

/** Every target, built or planned, in the order `list` prints them. */
export const TARGETS: readonly Target[] = [
  {
    name: "references",
    description: "random / zero / scripted-rule scores per MPE task vs the original code and the paper",
    cost: { smoke: "~2 s", quick: "~10 s", paper: "~1 min" },
    async run(profile, outDir) {
      const episodes = REFERENCE_EPISODES[profile];
      const bar = new Progress("references", 7);
      const rows = await measureReferences(episodes, { onRow: () => bar.tick() });
      bar.finish();
      await Deno.mkdir(outDir, { recursive: true });
      const csv = [
        "task,behaviour,episodes,mean,std,stderr,original_mean,original_std,paper",
        ...rows.map((r) =>
          [
            r.task,
            r.behaviour,
            r.episodes,
            r.mean,
            r.std,
            r.stderr,
            r.original?.mean ?? "",
            r.original?.std ?? "",
            r.paper ?? "",
          ]
            .join(",")
        ),
      ].join("\n") + "\n";
      await writeFileAtomic(join(outDir, "references.csv"), csv);
      await writeFileAtomic(
        join(outDir, "references.json"),
        JSON.stringify({ target: "references", profile, episodes, rows }, null, 2) + "\n",
      );
      return referencesReport(rows, profile);
    },
  },
  ...[
    ["table1", "4 algorithms × 3 MPE tasks × 4 dataset qualities (decentralized critics)"],
    ["table2", "sampler ablation on cooperative navigation"],
    ["table5", "MA-CQL actor learning rate on 2-agent Spread"],
    ["table6", "MA-CQL actor updates on 2-agent Spread"],
    ["table8", "all algorithms on centralized critics"],
    ["table9", "ITD3 vs MATD3 on cooperative navigation"],
    ["fig2", "2-agent Spread curves; MA-CQL vs n; the Q landscape"],
    ["fig3", "OMAR over MA-CQL vs n (offline)"],
    ["fig4", "τ ablation"],
    ["fig5", "sampler iterations / samples / μ0 / σ0"],
    ["fig7", "non-cooperative Spread"],
    ["fig9", "learning curves of Table 1"],
    ["fig10", "dataset size"],
  ].map(([name, description]): Target => ({
    name,
    description,
    cost: { smoke: "–", quick: "–", paper: "–" },
    pending: "needs the offline algorithms and the kit's datasets, which are not built yet",
  })),
];

/** Looks a target up by name; an unknown name lists the valid ones. */
export function findTarget(name: string): Target {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) {
    throw new KitInputError(
      `unknown target "${name}"; expected one of: list, ${TARGETS.map((x) => x.name).join(", ")}`,
    );
  }
  return t;
}

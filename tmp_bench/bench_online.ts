import { initBackend } from "../lib/nn/backend.ts";
import { trainOnline } from "../lib/behaviour/online.ts";
import { makeTask } from "../lib/envs/mod.ts";
import { gemmBackend } from "../lib/nn/native.ts";
await initBackend();
const cpu = () => {
  const f = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
};
console.log("kernels", gemmBackend());
const [ns, U] = [Deno.args[0].split(",").map(Number), Number(Deno.args[1] ?? 200)];
for (const n of ns) {
  const task = makeTask(`spread_1d_n${n}`);
  for (const omar of [null, {}]) {
    const base = { critic: "centralized" as const, snapshotEvery: 100000, snapshotEpisodes: 100, omar };
    let c = cpu(), t = performance.now();
    await trainOnline(task, { ...base, updates: 1 });
    const warm = cpu() - c, warmWall = (performance.now() - t) / 1000;
    c = cpu(), t = performance.now();
    await trainOnline(task, { ...base, updates: U + 1 });
    const tot = cpu() - c, totWall = (performance.now() - t) / 1000;
    console.log(`n=${n} ${omar ? "omar" : "matd3"} warmup+2 evals cpu ${warm.toFixed(2)} s, per round cpu ${((tot - warm) / U * 1000).toFixed(1)} ms (wall ${((totWall - warmWall) / U * 1000).toFixed(1)} ms)`);
  }
}

/** How long costing takes: the 4 × 5 paper table, and a width sweep a notebook might run. */
import { dynamicFixed } from "@lowprec/formats";
import { compareSettings, loadNetworks, networkCost, PAPER_SETTINGS } from "../src/index.js";

const networks = loadNetworks().networks.map((n) => ({ id: n.id, shape: n }));
function time(label: string, reps: number, f: () => void): void {
  f();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) f();
  const ms = (performance.now() - t0) / reps;
  console.log(`${label}: ${ms.toFixed(3)} ms`);
}
time("compareSettings, 4 networks × 5 settings", 200, () => compareSettings(networks, PAPER_SETTINGS));
time("sweep: cifar10 at dfxp 2..32 propagation bits × 2..32 update bits (961 costs)", 5, () => {
  for (let p = 2; p <= 32; p++)
    for (let u = 2; u <= 32; u++)
      networkCost(networks[2]!.shape, {
        name: "s",
        propagation: dynamicFixed({ bits: p }),
        update: dynamicFixed({ bits: u }),
      });
});

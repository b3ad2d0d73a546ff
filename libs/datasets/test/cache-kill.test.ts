// A preprocessing-cache write killed with SIGKILL half way (LOWPREC_FAULT_KILL of @lowprec/storage) leaves
// no entry that could be read as valid: the next load recomputes the same arrays and removes the dead
// writer's temp file.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadSvhn } from "../src/index.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const dist = new URL("../dist/index.js", import.meta.url).href;

describe("a cache write killed half way", () => {
  for (const fault of [".bin:1", ".json:1"])
    it(`(${fault}) is recomputed on the next load, with no temp file left`, () => {
      const dataDir = mkdtempSync(join(tmpdir(), "lowprec-cache-kill-"));
      const opts = { dir: join(FIXTURES, "svhn"), dataDir, validPerClassTrain: 1, validPerClassExtra: 1 };
      const script = `import(${JSON.stringify(dist)}).then((d) => d.loadSvhn(${JSON.stringify(opts)}))`;
      const r = spawnSync(process.execPath, ["-e", script], {
        env: { ...process.env, LOWPREC_FAULT_KILL: fault },
        encoding: "utf8",
      });
      expect(r.signal, r.stderr).toBe("SIGKILL");
      const cache = join(dataDir, "cache");
      expect(readdirSync(cache).filter((f) => f.includes(".tmp-"))).toHaveLength(1);
      const again = loadSvhn(opts);
      const clean = loadSvhn({ ...opts, dataDir: mkdtempSync(join(tmpdir(), "lowprec-cache-clean-")) });
      expect(Array.from(again.train.images)).toEqual(Array.from(clean.train.images));
      expect(Array.from(again.test.labels)).toEqual(Array.from(clean.test.labels));
      expect(readdirSync(cache).filter((f) => f.includes(".tmp-"))).toEqual([]);
    });
});

// The code's identity (issue 20, item 2): the fingerprint covers the built code byte for byte, wherever it lies,
// and nothing else (not the cwd, not the source maps); the commit is the one of the checkout the package lives in,
// even when the process runs inside another git repository; every run records both; and a run folder refuses a
// resume by other code (or by code that recorded no fingerprint) unless allowOtherCode, which warns and keeps
// both identities in config.json.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadMnist } from "@lowprec/datasets";
import { resolveConfig } from "@lowprec/maxout";
import { ManifestWriter } from "@lowprec/storage";
import {
  codeIdentity,
  commitLabel,
  experimentsRoot,
  FINGERPRINTED_PACKAGES,
  fingerprintOf,
  packageRoots,
} from "../src/code-identity.js";
import { currentEnvironment } from "../src/environment.js";
import { OtherCodeError, runTraining } from "../src/run.js";

const root = mkdtempSync(join(tmpdir(), "lowprec-code-identity-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const quiet = () => undefined;
const git = (dir: string, ...args: string[]) => execFileSync("git", ["-C", dir, ...args], { encoding: "utf8" }).trim();

describe("codeIdentity", () => {
  it("is the same from another cwd (inside another git repository); the commit is the package's own", () => {
    // NOTE: the hostile case: a process started in another clone named that clone's commit (it read the cwd's).
    const other = join(root, "other-repo");
    mkdirSync(other);
    git(other, "init", "-q");
    writeFileSync(join(other, "x"), "x");
    git(other, "add", "x");
    git(other, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "other");
    const dist = pathToFileURL(join(experimentsRoot(), "dist", "index.js")).href;
    const script =
      `import { codeIdentity, currentEnvironment } from ${JSON.stringify(dist)};\n` +
      "console.log(JSON.stringify({ code: codeIdentity(), env: currentEnvironment([]) }));";
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: other, encoding: "utf8" });
    const child = JSON.parse(out) as {
      code: ReturnType<typeof codeIdentity>;
      env: ReturnType<typeof currentEnvironment>;
    };
    const here = codeIdentity();
    expect(child.code).toEqual(here);
    expect(here.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(here.commit).toBe(git(experimentsRoot(), "rev-parse", "HEAD"));
    expect(here.commit).not.toBe(git(other, "rev-parse", "HEAD"));
    expect(child.env.code).toEqual(here);
    expect(child.env.gitCommit).toBe(commitLabel(here));
    expect(currentEnvironment([]).code).toEqual(here);
  });

  it("changes when one byte of a built file changes, not when the code moves or a source map changes", () => {
    const roots = packageRoots();
    expect([...roots.keys()]).toEqual([...FINGERPRINTED_PACKAGES]);
    expect(FINGERPRINTED_PACKAGES).toContain("@lowprec/precision"); // the policy: where the method rounds
    const t0 = performance.now();
    const real = fingerprintOf(roots);
    const ms = performance.now() - t0;
    console.log(`fingerprint of the built code: ${ms.toFixed(1)} ms (${[...roots.values()].join(", ")})`);
    expect(ms).toBeLessThan(1000);
    expect(real).toBe(codeIdentity().fingerprint);
    // a copy elsewhere (a second clone): the same bytes, the same fingerprint
    const copy = new Map<string, string>();
    for (const [name, dir] of roots) {
      const to = join(root, "copy", name);
      cpSync(join(dir, "dist"), join(to, "dist"), { recursive: true });
      const addon = join(dir, "native", "build", "Release", "lowprec_tensor.node");
      if (existsSync(addon)) cpSync(addon, join(to, "native", "build", "Release", "lowprec_tensor.node"));
      copy.set(name, to);
    }
    expect(fingerprintOf(copy)).toBe(real);
    // a source map is not code
    const map = join(copy.get("@lowprec/maxout")!, "dist", "presets.js.map");
    writeFileSync(map, `${readFileSync(map, "utf8")} `);
    expect(fingerprintOf(copy)).toBe(real);
    // the second clone's edit: the PI-MNIST learning rate 0.05 → 0.06, one byte of maxout's dist/presets.js
    const presets = join(copy.get("@lowprec/maxout")!, "dist", "presets.js");
    const text = readFileSync(presets, "utf8");
    expect(text).toContain("learningRate: 0.05,");
    writeFileSync(presets, text.replace("learningRate: 0.05,", "learningRate: 0.06,"));
    const edited = fingerprintOf(copy);
    expect(edited).not.toBe(real);
    writeFileSync(presets, text);
    expect(fingerprintOf(copy)).toBe(real);
    // so does the policy's: dynamic fixed point's maximum overflow rate 1e-4 → 2e-4 in precision's dist/policy.js
    const policy = join(copy.get("@lowprec/precision")!, "dist", "policy.js");
    const rules = readFileSync(policy, "utf8");
    expect(rules).toContain("maxRate: 1e-4");
    writeFileSync(policy, rules.replace("maxRate: 1e-4", "maxRate: 2e-4"));
    expect(fingerprintOf(copy)).not.toBe(real);
    writeFileSync(policy, rules);
    expect(fingerprintOf(copy)).toBe(real);
    // the native addon counts too
    const addon = join(copy.get("@lowprec/tensor")!, "native", "build", "Release", "lowprec_tensor.node");
    if (existsSync(addon)) {
      const bytes = readFileSync(addon);
      bytes[bytes.length - 1]! ^= 1;
      writeFileSync(addon, bytes);
      expect(fingerprintOf(copy)).not.toBe(real);
    }
  });
});

describe("a run folder and other code", () => {
  const config = resolveConfig("pi-mnist", "fp32", { hyper: { epochs: 3 }, trainLimit: 300, evalLimit: 200 });
  const data = loadMnist({ flat: true });
  const configPath = (dir: string) => join(dir, "config.json");
  type Record = {
    environment: { code?: { fingerprint: string; commit: string; dirty: boolean } };
    earlier: Record["environment"][];
  };
  const read = (dir: string) => JSON.parse(readFileSync(configPath(dir), "utf8")) as Record;
  /** Makes config.json say that the earlier sessions ran `code` (undefined: recorded no fingerprint). */
  const pretend = (dir: string, code: Record["environment"]["code"]) => {
    const r = read(dir) as Record & { environment: Record["environment"] };
    if (code) r.environment.code = code;
    else delete r.environment.code;
    // through the folder's seal, as the earlier session's own writer would have written it
    ManifestWriter.open(dir).write("config.json", `${JSON.stringify(r, null, 2)}\n`);
  };

  it("a resume by the same code goes on; by other or unknown code it is refused, writing nothing", () => {
    const dir = join(root, "refused");
    runTraining(config, data, { dir, mode: "new", log: quiet, interactive: false, stopAfterEpoch: 1 });
    expect(read(dir).environment.code).toEqual(codeIdentity());
    runTraining(config, data, { dir, mode: "resume", log: quiet, interactive: false, stopAfterEpoch: 2 });
    const other = { fingerprint: "0123456789ab".padEnd(64, "0"), commit: "feedfacefeed".padEnd(40, "0"), dirty: false };
    for (const code of [other, undefined]) {
      pretend(dir, code);
      const before = readFileSync(join(dir, "metrics.json"), "utf8");
      let err: unknown;
      try {
        runTraining(config, data, { dir, mode: "resume", log: quiet, interactive: false });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(OtherCodeError);
      const message = (err as Error).message;
      console.log(message);
      expect(message).not.toContain("\n");
      expect(message).toContain(dir);
      expect(message).toContain(codeIdentity().fingerprint.slice(0, 12));
      expect(message).toContain("--allow-other-code");
      expect(message).toContain(code ? "code 0123456789ab (commit feedfacefeed)" : "unknown code");
      expect(readFileSync(join(dir, "metrics.json"), "utf8")).toBe(before);
      expect(existsSync(join(dir, ".lock"))).toBe(false);
    }
  });

  it("allowOtherCode resumes with a warning; config.json keeps both identities", () => {
    const dir = join(root, "allowed");
    runTraining(config, data, { dir, mode: "new", log: quiet, interactive: false, stopAfterEpoch: 1 });
    const other = { fingerprint: "ab".repeat(32), commit: "unknown", dirty: false };
    pretend(dir, other);
    const lines: string[] = [];
    const { summary } = runTraining(config, data, {
      dir,
      mode: "resume",
      log: (l) => lines.push(l),
      interactive: false,
      allowOtherCode: true,
    });
    expect(summary.completed).toBe(true);
    const warning = lines.find((l) => l.startsWith("WARNING:"));
    expect(warning).toContain("code abababababab (no git commit)");
    expect(warning).toContain("--allow-other-code");
    const r = read(dir);
    expect(r.environment.code).toEqual(codeIdentity());
    expect(r.earlier.map((e) => e.code)).toEqual([other]);
  });
});

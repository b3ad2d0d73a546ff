/** Backend selection: explicit (LOWPREC_BACKEND or a name), visible (backendInfo), loud when wrong. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { nativeAvailable } from "../src/index.js";

const fresh = async () => {
  vi.resetModules();
  return import("../src/registry.js");
};

describe("backend registry", () => {
  afterEach(() => {
    delete process.env["LOWPREC_BACKEND"];
    delete process.env["LOWPREC_THREADS"];
  });

  it("LOWPREC_BACKEND=ts selects the reference backend", async () => {
    process.env["LOWPREC_BACKEND"] = "ts";
    const r = await fresh();
    expect(r.backendInfo()).toEqual({ name: "ts", blas: false, threads: 1 });
  });

  it("an unknown LOWPREC_BACKEND throws naming the variable and the value", async () => {
    process.env["LOWPREC_BACKEND"] = "cuda";
    const r = await fresh();
    expect(() => r.getBackend()).toThrow(/LOWPREC_BACKEND must be "ts" or "native", got "cuda"/);
  });

  // NOTE: 65 and 99999 are numbers, but above the native pool's 64 threads: they used to become 64 silently.
  for (const bad of ["abc", "0", "-1", "1.5", " ", "0x4", "2e0", "65", "99999"]) {
    it(`LOWPREC_THREADS="${bad}" is an error, not a silent fallback to the TS backend`, async () => {
      process.env["LOWPREC_THREADS"] = bad;
      const r = await fresh();
      const message = `LOWPREC_THREADS must be an integer in [1, 64], got "${bad}"`;
      expect(() => r.getBackend()).toThrow(message);
      expect(() => r.getBackend("native")).toThrow(message);
      process.env["LOWPREC_BACKEND"] = "ts";
      const withTs = await fresh();
      expect(() => withTs.getBackend()).toThrow(message);
      // whether the addon loads does not depend on the variable
      expect(r.nativeAvailable().available).toBe(nativeAvailable().available);
    });
  }

  it.skipIf(!nativeAvailable().available)("a valid LOWPREC_THREADS sets the native thread count", async () => {
    const before = (await fresh()).getBackend("native").info.threads;
    process.env["LOWPREC_THREADS"] = "1";
    const r = await fresh();
    expect(r.getBackend().info).toMatchObject({ name: "native", threads: 1 });
    // the addon's thread count is process-wide: put it back for the tests that follow
    process.env["LOWPREC_THREADS"] = String(before);
    expect((await fresh()).getBackend().info.threads).toBe(before);
  });

  it.skipIf(!nativeAvailable().available)(
    "unset means native when the addon loads, and it reports BLAS and threads",
    async () => {
      const r = await fresh();
      const info = r.backendInfo();
      expect(info.name).toBe("native");
      expect(typeof info.blas).toBe("boolean");
      expect(info.threads).toBeGreaterThanOrEqual(1);
      expect(r.getBackend("ts").info.name).toBe("ts");
    },
  );
});

// NOTE: the native suites skip where the addon is absent; CI installs OpenBLAS and a compiler, so there a
// missing addon is a broken install step, not a reason to skip (LOWPREC_REQUIRE_NATIVE=0 opts out).
describe.runIf(process.env["CI"] === "true" && process.env["LOWPREC_REQUIRE_NATIVE"] !== "0")("in CI", () => {
  it("the native addon is built, with OpenBLAS", async () => {
    expect(nativeAvailable()).toEqual({ available: true });
    const r = await fresh();
    expect(r.getBackend("native").info.blas).toBe(true);
  });
  it("convolutions go through oneDNN (.ci/run installs libdnnl-dev)", async () => {
    const r = await fresh();
    expect(r.getBackend("native").info.conv).toBe("onednn");
  });
});

describe.skipIf(!nativeAvailable().available)("native backendInfo is live", () => {
  it("follows setNativeBlas", async () => {
    const { getBackend, setNativeBlas } = await import("../src/index.js");
    const be = getBackend("native");
    const linked = be.info.blas;
    setNativeBlas(false);
    expect(be.info.blas).toBe(false);
    setNativeBlas(true);
    expect(be.info.blas).toBe(linked);
  });
});

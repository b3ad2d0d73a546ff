// Builds the native addon (native/binding.gyp) with node-gyp at `npm install`. Never fails the install:
// on any problem it prints one clear line and the library runs on the TypeScript backend.
// - Node headers come from Node's own prefix (--nodedir from process.execPath), so nothing is downloaded.
// - OpenBLAS is used when its header and library are found (Debian: libopenblas-dev).
// - LOWPREC_NATIVE_BUILD=0 skips the build; LOWPREC_NATIVE_BLAS=0 builds without OpenBLAS (own gemm).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const nativeDir = join(here, "..", "native");
const say = (msg) => console.log(`@lowprec/tensor: ${msg}`);

function findNodeGyp() {
  // npm's bundled node-gyp (npm_config_node_gyp is set when run by npm), else next to npm, else a local install.
  const candidates = [
    process.env.npm_config_node_gyp,
    join(
      dirname(process.execPath),
      "..",
      "lib",
      "node_modules",
      "npm",
      "node_modules",
      "node-gyp",
      "bin",
      "node-gyp.js",
    ),
  ];
  try {
    candidates.push(createRequire(import.meta.url).resolve("node-gyp/bin/node-gyp.js"));
  } catch {
    /* not installed locally */
  }
  return candidates.find((p) => p && existsSync(p));
}

function findOpenBlas() {
  const includes = [
    "/usr/include/x86_64-linux-gnu/openblas-pthread",
    "/usr/include/aarch64-linux-gnu/openblas-pthread",
    "/usr/include/openblas",
    "/usr/include",
  ];
  const libs = [
    "/usr/lib/x86_64-linux-gnu/libopenblas.so",
    "/usr/lib/aarch64-linux-gnu/libopenblas.so",
    "/usr/lib/libopenblas.so",
    "/usr/lib64/libopenblas.so",
  ];
  const include = includes.find((d) => existsSync(join(d, "cblas.h")));
  const lib = libs.find((l) => existsSync(l));
  return include && lib ? include : undefined;
}

function main() {
  if (process.env.LOWPREC_NATIVE_BUILD === "0")
    return say("native build skipped (LOWPREC_NATIVE_BUILD=0); using the TypeScript backend");
  const gyp = findNodeGyp();
  if (!gyp) return say("native addon NOT built (node-gyp not found); the TypeScript backend will be used");
  const nodedir = join(dirname(process.execPath), "..");
  if (!existsSync(join(nodedir, "include", "node", "node_api.h")))
    return say(
      `native addon NOT built (no Node headers under ${nodedir}/include/node; not downloading)` +
        `; the TypeScript backend will be used`,
    );
  const blasInclude = process.env.LOWPREC_NATIVE_BLAS === "0" ? undefined : findOpenBlas();
  const args = [gyp, "rebuild", `--nodedir=${nodedir}`];
  const r = spawnSync(process.execPath, args, {
    cwd: nativeDir,
    encoding: "utf8",
    env: {
      ...process.env,
      npm_config_nodedir: nodedir,
      LOWPREC_BLAS: blasInclude ? "1" : "0",
      LOWPREC_BLAS_INCLUDE: blasInclude ?? ".",
    },
  });
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ""}\n${r.stderr ?? ""}`
      .split("\n")
      .filter((l) => /error/i.test(l))
      .slice(0, 3)
      .join(" | ");
    return say(
      `native addon NOT built (node-gyp exit ${r.status}${tail ? `: ${tail}` : ""})` +
        `; the TypeScript backend will be used`,
    );
  }
  say(
    `native addon built (${
      blasInclude
        ? "with OpenBLAS"
        : "WITHOUT OpenBLAS: own blocked gemm; apt-get install libopenblas-dev for the fast path"
    })`,
  );
}

try {
  main();
} catch (e) {
  say(`native addon NOT built (${e instanceof Error ? e.message : String(e)}); the TypeScript backend will be used`);
}

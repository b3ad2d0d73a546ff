// Builds the native addon (native/binding.gyp) with node-gyp at `npm install`. Never fails the install:
// on any problem it prints one clear line and the library runs on the TypeScript backend.
// - Node headers come from Node's own prefix (--nodedir from process.execPath), so nothing is downloaded.
// - OpenBLAS is used when its header and library are found (Debian: libopenblas-dev).
// - oneDNN is used for the convolutions when its header and library are found (Debian: libdnnl-dev); if the
//   build with it fails, the addon is built again without it (convolutions then run as im2col + gemm).
// - LOWPREC_NATIVE_BUILD=0 skips the build; LOWPREC_NATIVE_BLAS=0 builds without OpenBLAS (own gemm);
//   LOWPREC_NATIVE_DNNL=0 builds without oneDNN.
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

function findDnnl() {
  const includes = ["/usr/include", "/usr/local/include"];
  const libs = [
    "/usr/lib/x86_64-linux-gnu/libdnnl.so",
    "/usr/lib/aarch64-linux-gnu/libdnnl.so",
    "/usr/lib/libdnnl.so",
    "/usr/lib64/libdnnl.so",
    "/usr/local/lib/libdnnl.so",
  ];
  const include = includes.find((d) => existsSync(join(d, "dnnl.hpp")));
  const lib = libs.find((l) => existsSync(l));
  return include !== undefined && lib !== undefined;
}

function build(gyp, nodedir, blasInclude, dnnl) {
  return spawnSync(process.execPath, [gyp, "rebuild", `--nodedir=${nodedir}`], {
    cwd: nativeDir,
    encoding: "utf8",
    env: {
      ...process.env,
      npm_config_nodedir: nodedir,
      LOWPREC_BLAS: blasInclude ? "1" : "0",
      LOWPREC_BLAS_INCLUDE: blasInclude ?? ".",
      LOWPREC_DNNL: dnnl ? "1" : "0",
    },
  });
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
  const dnnlFound = process.env.LOWPREC_NATIVE_DNNL === "0" ? false : findDnnl();
  let r = build(gyp, nodedir, blasInclude, dnnlFound);
  let dnnl = dnnlFound;
  if (r.status !== 0 && dnnlFound) {
    dnnl = false;
    r = build(gyp, nodedir, blasInclude, false);
  }
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
  const blasNote = blasInclude
    ? "with OpenBLAS"
    : "WITHOUT OpenBLAS: own blocked gemm; apt-get install libopenblas-dev for the fast path";
  let dnnlNote = "with oneDNN for the convolutions";
  if (process.env.LOWPREC_NATIVE_DNNL === "0")
    dnnlNote = "without oneDNN (LOWPREC_NATIVE_DNNL=0): convolutions as im2col + gemm";
  else if (!dnnlFound)
    dnnlNote =
      "WITHOUT oneDNN (not found): convolutions as im2col + gemm; apt-get install libdnnl-dev for the fast path";
  else if (!dnnl) dnnlNote = "WITHOUT oneDNN (the build with it failed): convolutions as im2col + gemm";
  say(`native addon built (${blasNote}; ${dnnlNote})`);
}

try {
  main();
} catch (e) {
  say(`native addon NOT built (${e instanceof Error ? e.message : String(e)}); the TypeScript backend will be used`);
}

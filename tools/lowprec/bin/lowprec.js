#!/usr/bin/env node
// The `lowprec` executable: a committed shim (npm links bins at install time, before TypeScript has built
// dist/), which runs the compiled CLI.
import { main } from "../dist/cli.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(`lowprec: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);

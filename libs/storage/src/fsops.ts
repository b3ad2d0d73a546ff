/**
 * The file system calls this library makes, behind one mutable object: the tests replace a call (a write
 * that fails with ENOSPC) or count one (fsync) through it. Not part of the public API.
 */
import { accessSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";

export const fsOps = { accessSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync };

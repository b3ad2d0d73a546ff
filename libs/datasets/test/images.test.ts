// Image folders (torchvision's ImageFolder layout) as data sets: listing order, the fixed permutations and split, an
// exact round trip from CIFAR-10-shaped pixels through PNG files, JPEG through jpeg-js (its own encoder and files
// written by libjpeg: greyscale, progressive, CMYK), the PNG kinds pngjs reads, the digest and the cache, and every
// bad folder as one line naming the file or folder. Fixtures are written to temp folders by the tests, except the
// JPEGs and PNGs jpeg-js and pngjs cannot write (fixtures/images, made by make_image_fixtures.py with Pillow).
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { encode as encodeJpeg } from "jpeg-js";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import {
  cacheKey,
  compareCodePoints,
  DataFormatError,
  imageFolderDigest,
  imageFolderName,
  listImageFolder,
  loadImageFolder,
  NumpyRandomState,
  readCache,
  readCifarBatch,
  writeCache,
  writeSyntheticCifar10,
  type ImageLayout,
} from "../src/index.js";
import { FIXTURES, tempDir } from "./helpers.js";

const IMAGES = join(FIXTURES, "images");
/** numpy.random.RandomState(0).permutation(20), printed by numpy 2.4 */
const NUMPY_PERMUTATION_20 = [18, 1, 19, 8, 10, 17, 6, 13, 4, 2, 5, 14, 9, 7, 16, 11, 3, 0, 15, 12];
/** numpy.random.RandomState(0).permutation(8), printed by numpy 2.4.6 */
const NUMPY_PERMUTATION_8 = [6, 2, 1, 7, 3, 0, 5, 4];

/** A PNG of `w`×`h` from an RGBA pixel function, written as colour type `colorType` (6 RGBA, 2 RGB, 0 grey). */
function png(w: number, h: number, rgba: (r: number, c: number) => number[], colorType: 0 | 2 | 6 = 2): Buffer {
  const p = new PNG({ width: w, height: h });
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) p.data.set(rgba(r, c), (r * w + c) * 4);
  return PNG.sync.write(p, { colorType, inputColorType: 6 });
}

/** A JPEG of `w`×`h` through jpeg-js's encoder (4:4:4, baseline). */
function jpg(w: number, h: number, rgb: (r: number, c: number) => number[], quality: number): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) data.set([...rgb(r, c), 255], (r * w + c) * 4);
  return encodeJpeg({ data, width: w, height: h }, quality).data;
}

function put(path: string, bytes: Uint8Array | string): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}

/** A plain 32×32 colour PNG, distinct per `seed`. */
const colour = (seed: number) => png(32, 32, (r, c) => [(seed * 7 + r) % 256, (seed * 3 + c) % 256, seed % 256, 255]);
/** A plain 28×28 grey PNG (colour type 0), distinct per `seed`. */
const grey = (seed: number) =>
  png(
    28,
    28,
    (r, c) => {
      const v = (seed * 5 + r * 3 + c) % 256;
      return [v, v, v, 255];
    },
    0,
  );

/**
 * A folder with `perClass[k]` training and `testPerClass` test images in class k, named "c0", "c1", ...; files
 * "0000.png", "0001.png", ...
 */
function folder(perClass: readonly number[], testPerClass = 1, image: (seed: number) => Buffer = colour): string {
  const dir = tempDir("lowprec-images-");
  let seed = 0;
  perClass.forEach((count, k) => {
    for (let i = 0; i < count; i++)
      put(join(dir, "train", `c${k}`, `${String(i).padStart(4, "0")}.png`), image(seed++));
    for (let i = 0; i < testPerClass; i++) put(join(dir, "test", `c${k}`, `${i}.png`), image(seed++));
  });
  return dir;
}

const load = (dir: string, layout: ImageLayout = "rgb32", more: { validCount?: number; dataDir?: string } = {}) =>
  loadImageFolder({ dir, layout, dataDir: more.dataDir ?? tempDir(), preprocessing: "none", validCount: 2, ...more });

describe("listImageFolder: ImageFolder's order", () => {
  it("classes = train/'s sub-folders by code point; files by name; hidden, stray and other files ignored", () => {
    const dir = tempDir("lowprec-images-");
    for (const c of ["b", "a", "C"]) {
      for (const f of ["10.png", "2.png", "1.PNG", "B.jpg", "a.jpeg"]) put(join(dir, "train", c, f), colour(1));
      put(join(dir, "test", c, "x.JPG"), colour(2));
    }
    put(join(dir, "train", "a", "notes.txt"), "not an image");
    put(join(dir, "train", "a", "image.bmp"), "other formats are not taken");
    put(join(dir, "train", "a", ".hidden.png"), colour(3));
    put(join(dir, "train", ".git", "x.png"), colour(4)); // a hidden folder is no class
    put(join(dir, "train", "a", ".cache", "y.png"), colour(5)); // nor is it walked inside a class
    put(join(dir, "train", "README"), "a stray file beside the classes");
    put(join(dir, "train", "b", "sub", "0.png"), colour(6)); // walked as os.walk: after the folder's own files
    put(join(dir, "train", "b", "a b", "0.png"), colour(7)); // "b/a b" < "b/sub" (" " < "s")
    const l = listImageFolder(dir);
    expect(l.classNames).toEqual(["C", "a", "b"]);
    expect(l.train.filter((e) => e.label === 0).map((e) => e.relative)).toEqual([
      "train/C/1.PNG",
      "train/C/10.png",
      "train/C/2.png",
      "train/C/B.jpg",
      "train/C/a.jpeg",
    ]);
    expect(l.train.filter((e) => e.label === 2).map((e) => e.relative.slice("train/b/".length))).toEqual([
      "1.PNG",
      "10.png",
      "2.png",
      "B.jpg",
      "a.jpeg",
      "a b/0.png",
      "sub/0.png",
    ]);
    expect(l.train.map((e) => e.label)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2]);
    expect(l.test.map((e) => [e.relative, e.label])).toEqual([
      ["test/C/x.JPG", 0],
      ["test/a/x.JPG", 1],
      ["test/b/x.JPG", 2],
    ]);
    expect(l.train[0]!.path).toBe(join(dir, "train", "C", "1.PNG"));
  });

  it("compares code points as Python does, not UTF-16 code units", () => {
    const names = ["\u{1F600}", "\uFF61", "a", "B", "é"];
    expect([...names].sort(compareCodePoints)).toEqual(["B", "a", "é", "\uFF61", "\u{1F600}"]);
    expect([...names].sort()).toEqual(["B", "a", "é", "\u{1F600}", "\uFF61"]); // what JS's default sort does
  });

  it("follows symbolic links to class folders and images (each real folder once)", () => {
    const dir = folder([2, 2]);
    const elsewhere = tempDir("lowprec-images-");
    put(join(elsewhere, "0.png"), colour(9));
    symlinkSync(elsewhere, join(dir, "train", "c0", "linked"));
    symlinkSync(join(dir, "train", "c0"), join(dir, "train", "c0", "loop"));
    expect(listImageFolder(dir).train.map((e) => e.relative)).toEqual([
      "train/c0/0000.png",
      "train/c0/0001.png",
      "train/c0/linked/0.png",
      "train/c1/0000.png",
      "train/c1/0001.png",
    ]);
  });

  it("names a folder after itself unless named", () => {
    expect(imageFolderName("/data/CIFAR-10 JPEG/")).toBe("cifar-10-jpeg");
    expect(imageFolderName("/data/x", "mine")).toBe("mine");
  });
});

describe("loadImageFolder: the fixed permutations and the split", () => {
  it("training images in RandomState(0).permutation(N) order, the last validCount validate; test images too", () => {
    const dir = folder([5, 5, 5, 5], 2); // 20 training images, class k = ImageFolder positions 5k..5k+4
    const s = loadImageFolder({ dir, layout: "rgb32", dataDir: tempDir(), preprocessing: "none", validCount: 6 });
    expect([s.train.count, s.valid.count, s.test.count]).toEqual([14, 6, 8]);
    const labels = [...s.train.labels, ...s.valid.labels];
    expect(permutation(20)).toEqual(NUMPY_PERMUTATION_20);
    expect(labels).toEqual(NUMPY_PERMUTATION_20.map((i) => Math.floor(i / 5)));
    // the validation part mixes the classes (ImageFolder's order would give 5 of class 3 and 1 of class 2)
    expect([...s.valid.labels]).toEqual([3, 2, 0, 0, 3, 2]);
    // position k holds ImageFolder image perm[k]: compare one pixel that differs per image
    const listing = listImageFolder(dir);
    const green = (path: string) => Math.fround(PNG.sync.read(readFileSync(path)).data[1]! / 255); // pixel (0, 0)
    for (let k = 0; k < 14; k++)
      expect(s.train.images[k * 3072 + 1024]).toBe(green(listing.train[NUMPY_PERMUTATION_20[k]!]!.path));
    // the test images: a fresh RandomState(0).permutation(8) (class k = ImageFolder positions 2k, 2k + 1)
    expect(permutation(8)).toEqual(NUMPY_PERMUTATION_8);
    expect([...s.test.labels]).toEqual([3, 1, 0, 3, 1, 0, 2, 2]);
    for (let k = 0; k < 8; k++)
      expect(s.test.images[k * 3072 + 1024]).toBe(green(listing.test[NUMPY_PERMUTATION_8[k]!]!.path));
    const perm = "numpy RandomState(0).permutation(20)";
    const of = `of the 20 images of train/ in 4 classes, after a fixed permutation (${perm})`;
    expect(s.train.provenance.split).toBe(`14 ${of}: positions 0..13`);
    expect(s.valid.provenance.split).toBe(`the last 6 ${of}: positions 14..19`);
    expect(s.test.provenance.split).toBe(
      "all 8 images of test/ in 4 classes, after a fixed permutation (numpy RandomState(0).permutation(8))",
    );
    const again = loadImageFolder({ dir, layout: "rgb32", dataDir: tempDir(), preprocessing: "none", validCount: 6 });
    expect(again.train.images).toEqual(s.train.images);
    expect(again.valid.labels).toEqual(s.valid.labels);
  });

  it("an evaluation limit takes a mix of classes: the first 4 test images of 4 classes × 2 are of 3 classes", () => {
    // the trainer evaluates the first evalLimit test images; in ImageFolder's order these would be [0, 0, 1, 1]
    const dir = folder([3, 3, 3, 3], 2);
    expect(listImageFolder(dir).test.map((e) => e.label)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    const s = load(dir, "rgb32", { validCount: 2 });
    // ImageFolder position i is of class floor(i / 2); numpy's RandomState(0).permutation(8) = [6, 2, 1, 7, 3, 0, 5, 4]
    expect([...s.test.labels]).toEqual(NUMPY_PERMUTATION_8.map((i) => Math.floor(i / 2)));
    expect([...s.test.labels.subarray(0, 4)]).toEqual([3, 1, 0, 3]);
    // the whole test set is the same images: every class twice
    expect([...s.test.labels].sort()).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  });

  it("default validCount: 5 000 (rgb32, CIFAR-10's) and 10 000 (grey28, MNIST's)", () => {
    const dir = folder([3]);
    const dataDir = tempDir();
    expect(() => loadImageFolder({ dir, layout: "rgb32", dataDir })).toThrow(
      `${join(dir, "train")}: 3 images leave none for training after the last 5000 held out for validation`,
    );
    const g = folder([3], 1, grey);
    expect(() => loadImageFolder({ dir: g, layout: "grey28", dataDir })).toThrow(
      `${join(g, "train")}: 3 images leave none for training after the last 10000 held out for validation`,
    );
  });
});

describe("loadImageFolder: pixels", () => {
  /**
   * CIFAR-10-shaped pixels (writeSyntheticCifar10's, read back with readCifarBatch) written as PNG files into
   * train/<class>/NNNN.png, NNNN = the record's index, so ImageFolder's order is (label, index).
   */
  function cifarAsPng(trainCount: number, testCount: number) {
    const raw = tempDir();
    writeSyntheticCifar10(raw, trainCount, testCount);
    const read = (files: string[]) => {
      const batches = files.map((f) => readCifarBatch(join(raw, f)));
      const pixels = new Uint8Array(batches.reduce((a, b) => a + b.pixels.length, 0));
      const labels = new Uint8Array(batches.reduce((a, b) => a + b.count, 0));
      let o = 0;
      for (const b of batches) {
        pixels.set(b.pixels, o * 3072);
        labels.set(b.labels, o);
        o += b.count;
      }
      return { pixels, labels };
    };
    const train = read([1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`));
    const test = read(["test_batch.bin"]);
    const dir = tempDir("lowprec-images-");
    const write = (split: string, d: { pixels: Uint8Array; labels: Uint8Array }) => {
      for (let i = 0; i < d.labels.length; i++) {
        const at = i * 3072;
        const file = join(dir, split, `class${d.labels[i]}`, `${String(i).padStart(4, "0")}.png`);
        put(
          file,
          png(32, 32, (r, c) => [0, 1, 2].map((ch) => d.pixels[at + ch * 1024 + r * 32 + c]!).concat(255)),
        );
      }
    };
    write("train", train);
    write("test", test);
    /** indices in ImageFolder order: by label, then by index */
    const order = (labels: Uint8Array) => [...labels.keys()].sort((a, b) => labels[a]! - labels[b]! || a - b);
    return { dir, train, test, trainOrder: order(train.labels), testOrder: order(test.labels) };
  }

  it("round trip: PNG files of known pixels give exactly pixels / 255 in CHW order (preprocessing none)", () => {
    const f = cifarAsPng(60, 40);
    const s = loadImageFolder({
      dir: f.dir,
      layout: "rgb32",
      dataDir: tempDir(),
      preprocessing: "none",
      validCount: 20,
    });
    expect(s.train.shape).toEqual([3, 32, 32]);
    expect(s.train.classNames).toEqual([...new Set(f.train.labels)].sort().map((k) => `class${k}`));
    const expected = (d: { pixels: Uint8Array }, indices: number[]) => {
      const out = new Float32Array(indices.length * 3072);
      indices.forEach((idx, k) => {
        for (let j = 0; j < 3072; j++) out[k * 3072 + j] = d.pixels[idx * 3072 + j]! / 255;
      });
      return out;
    };
    const perm = permutation(60);
    const trainIdx = perm.map((p) => f.trainOrder[p]!);
    const rank = (k: number) => s.train.classNames.indexOf(`class${k}`);
    expect(s.train.images).toEqual(expected(f.train, trainIdx.slice(0, 40)));
    expect(s.valid.images).toEqual(expected(f.train, trainIdx.slice(40)));
    expect([...s.train.labels]).toEqual(trainIdx.slice(0, 40).map((i) => rank(f.train.labels[i]!)));
    const testIdx = permutation(40).map((p) => f.testOrder[p]!);
    expect(s.test.images).toEqual(expected(f.test, testIdx));
    expect([...s.test.labels]).toEqual(testIdx.map((i) => rank(f.test.labels[i]!)));
    expect(s.train.provenance.preprocessing).toEqual([
      "decoded by pngjs 7.0.0, jpeg-js 0.4.4 (pure JavaScript) to 8-bit RGB, 32×32 (grey images: 3 equal channels)",
      "pixels / 255 (range [0, 1])",
    ]);
  });

  it("JPEG through jpeg-js's encoder at quality 100 reads back within 4 grey levels (measured: at most 4)", () => {
    const dir = tempDir("lowprec-images-");
    const source = (seed: number) => (r: number, c: number) => [
      Math.round(128 + 100 * Math.sin((r + seed) / 5 + c / 7)),
      Math.round(128 + 90 * Math.cos(r / 4 - (c + seed) / 6)),
      (5 * r + 3 * c + seed) % 256,
    ];
    for (let i = 0; i < 4; i++) put(join(dir, "train", "a", `${i}.jpg`), jpg(32, 32, source(i), 100));
    put(join(dir, "test", "a", "0.jpg"), jpg(32, 32, source(9), 100));
    const s = loadImageFolder({ dir, layout: "rgb32", dataDir: tempDir(), preprocessing: "none", validCount: 0 });
    let worst = 0;
    const check = (images: Float32Array, k: number, seed: number) => {
      const f = source(seed);
      for (let r = 0; r < 32; r++)
        for (let c = 0; c < 32; c++)
          for (let ch = 0; ch < 3; ch++)
            worst = Math.max(worst, Math.abs(images[k * 3072 + ch * 1024 + r * 32 + c]! * 255 - f(r, c)[ch]!));
    };
    permutation(4).forEach((i, k) => {
      check(s.train.images, k, i);
    });
    check(s.test.images, 0, 9);
    expect(worst).toBeGreaterThan(0); // lossy even at 100
    expect(worst).toBeLessThanOrEqual(4 + 1e-4);
  });

  /** Every file of fixtures/images named in `names` in class "a" of train/ (in that order), one test image. */
  function fixtureFolder(names: readonly string[]): string {
    const dir = tempDir("lowprec-images-");
    names.forEach((n, i) => {
      copyFileSync(join(IMAGES, n), put(join(dir, "train", "a", `${i}-${n}`), ""));
    });
    put(join(dir, "test", "a", "0.png"), colour(0));
    return dir;
  }
  const pillow = JSON.parse(readFileSync(join(IMAGES, "pillow.json"), "utf8")) as Record<string, number[]>;
  /** image k of train (no permutation: one image, or validCount 0 with the order undone) as R, G, B per pixel */
  const rgbOf = (images: Float32Array, k: number) =>
    Array.from({ length: 3072 }, (_, i) => Math.round(images[k * 3072 + (i % 3) * 1024 + Math.floor(i / 3)]! * 255));
  const maxDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

  it("what jpeg-js makes of JPEGs written by libjpeg (Pillow), beside libjpeg's own decoding", () => {
    const names = ["grey.jpg", "baseline.jpg", "progressive.jpg", "444.jpg", "cmyk.jpg"];
    const s = loadImageFolder({
      dir: fixtureFolder(names),
      layout: "rgb32",
      dataDir: tempDir(),
      preprocessing: "none",
      validCount: 0,
    });
    const at = (n: string) => rgbOf(s.train.images, permutation(5).indexOf(names.indexOf(n)));
    // greyscale (one component): three equal channels, within 1 of libjpeg's (another IDCT's rounding)
    const g = at("grey.jpg");
    for (let i = 0; i < 3072; i += 3) expect(g[i] === g[i + 1] && g[i] === g[i + 2]).toBe(true);
    expect(maxDiff(g, pillow["grey.jpg"]!)).toBe(1);
    // progressive: the same pixels as the baseline file of the same image and quality
    expect(at("progressive.jpg")).toEqual(at("baseline.jpg"));
    // 4:4:4 within 2 of libjpeg; 4:2:0 (chroma subsampled, most writers' default) up to 17 on this image's sharp
    // blue edges: jpeg-js repeats each chroma sample where libjpeg interpolates ("fancy upsampling")
    expect(maxDiff(at("444.jpg"), pillow["444.jpg"]!)).toBe(2);
    expect(maxDiff(at("baseline.jpg"), pillow["baseline.jpg"]!)).toBe(17);
    // CMYK with Adobe's marker (as Photoshop and Pillow write it): converted to RGB within 1 of Pillow's conversion
    expect(maxDiff(at("cmyk.jpg"), pillow["cmyk.jpg"]!)).toBe(1);
  });

  it("a CMYK JPEG without its Adobe marker is refused: jpeg-js cannot decode it", () => {
    const dir = fixtureFolder(["cmyk-no-adobe.jpg"]);
    expect(() => load(dir, "rgb32", { validCount: 0 })).toThrow(
      new DataFormatError(
        join(dir, "train", "a", "0-cmyk-no-adobe.jpg"),
        "cannot be decoded as JPEG by jpeg-js (Unsupported color mode (4 components))",
      ),
    );
  });

  it("PNG kinds: palette (as Pillow reads it), 16-bit grey (scaled to 8 bits), grey, opaque RGBA", () => {
    const dir = fixtureFolder(["palette.png", "grey16.png"]);
    put(
      join(dir, "train", "a", "2-grey.png"),
      png(32, 32, (r) => [r * 8, r * 8, r * 8, 255], 0),
    );
    put(
      join(dir, "train", "a", "3-rgba.png"),
      png(32, 32, (r, c) => [r, c, 7, 255], 6),
    );
    const s = load(dir, "rgb32", { validCount: 0 });
    const at = (k: number) => rgbOf(s.train.images, permutation(4).indexOf(k));
    expect(at(0)).toEqual(pillow["palette.png"]);
    // 16-bit sample v → round(v · 255 / 65535) (pngjs); the file holds v = (32 r + c) · 64
    expect(at(1).filter((_, i) => i % 3 === 0)).toEqual(
      Array.from({ length: 1024 }, (_, i) => Math.floor((i * 64 * 255) / 65535 + 0.5)),
    );
    expect(at(2).slice(0, 6)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(at(2).slice(3 * 32 * 5, 3 * 32 * 5 + 3)).toEqual([40, 40, 40]);
    expect(at(3).slice(3 * 33, 3 * 33 + 3)).toEqual([1, 1, 7]);
  });

  it("grey28: MNIST's 1×28×28, pixels / 255; grey PNGs and RGB with R = G = B; flat on request", () => {
    const dir = folder([3, 3], 1, grey);
    put(
      join(dir, "train", "c1", "rgb-but-grey.png"),
      png(28, 28, (r) => [r, r, r, 255], 2),
    );
    const s = load(dir, "grey28");
    expect(s.train.shape).toEqual([1, 28, 28]);
    expect([s.train.count, s.valid.count, s.test.count]).toEqual([5, 2, 2]);
    expect(s.train.provenance.preprocessing).toEqual([
      "decoded by pngjs 7.0.0, jpeg-js 0.4.4 (pure JavaScript) to 8-bit grey, 28×28",
      "pixels / 255 (range [0, 1], not centred)",
    ]);
    const k = permutation(7).indexOf(6); // the RGB file is the last of class c1
    const all = new Float32Array([...s.train.images, ...s.valid.images]);
    expect(all[k * 784 + 28 * 5]).toBe(Math.fround(5 / 255));
    const flat = loadImageFolder({ dir, layout: "grey28", dataDir: tempDir(), validCount: 2, flat: true });
    expect(flat.train.shape).toEqual([784]);
    expect(flat.train.images).toEqual(s.train.images);
  });

  it("rgb32 expands a grey image to three equal channels", () => {
    const dir = folder([2], 1, (seed) =>
      png(32, 32, (r, c) => [(r + c + seed) % 256, (r + c + seed) % 256, (r + c + seed) % 256, 255], 0),
    );
    const s = load(dir, "rgb32", { validCount: 0 });
    const img = s.train.images.subarray(0, 3072);
    expect(img.subarray(0, 1024)).toEqual(img.subarray(1024, 2048));
    expect(img.subarray(0, 1024)).toEqual(img.subarray(2048));
  });
});

describe("loadImageFolder: digest and cache", () => {
  it("provenance: one entry for the folder, SHA-256 over the sorted '<path>\\t<sha256>' lines, total bytes", () => {
    const dir = folder([2, 1]);
    const s = load(dir, "rgb32", { validCount: 1 });
    const lines = ["train/c0/0000.png", "train/c0/0001.png", "test/c0/0.png", "train/c1/0000.png", "test/c1/0.png"]
      .map((rel) => `${rel}\t${sha256(readFileSync(join(dir, rel)))}\n`)
      .sort();
    const bytes = ["train/c0/0000.png", "train/c0/0001.png", "test/c0/0.png", "train/c1/0000.png", "test/c1/0.png"]
      .map((rel) => readFileSync(join(dir, rel)).length)
      .reduce((a, b) => a + b, 0);
    expect(s.train.provenance.files).toEqual([{ path: dir, sha256: sha256(Buffer.from(lines.join(""))), bytes }]);
    expect(s.test.provenance.files).toEqual(s.train.provenance.files);
    expect(s.train.name).toBe(imageFolderName(dir));
    expect(s.train.classNames).toEqual(["c0", "c1"]);
    // files that are not images do not count
    put(join(dir, "train", "c0", ".DS_Store"), "x");
    put(join(dir, "train", "c0", "labels.csv"), "x");
    expect(imageFolderDigest(listImageFolder(dir)).sha256).toBe(s.train.provenance.files[0]!.sha256);
  });

  it("the second load is a cache hit; an edited image changes the digest and misses", () => {
    const dir = folder([3, 3]);
    const dataDir = tempDir();
    const lines: string[] = [];
    const opts = { dir, layout: "rgb32" as const, dataDir, preprocessing: "none" as const, validCount: 2 };
    const first = loadImageFolder({ ...opts, name: "x", log: (l) => lines.push(l) });
    expect(lines).toEqual([`x: decoding 8 images of ${dir}`, expect.stringMatching(/^x: decoded in \d+\.\d s$/)]);
    expect(readdirSync(join(dataDir, "cache")).sort()).toEqual(
      [`${keyOf(first.train.provenance.cacheFile!)}.bin`, `${keyOf(first.train.provenance.cacheFile!)}.json`].sort(),
    );
    lines.length = 0;
    const second = loadImageFolder({ ...opts, name: "x", log: (l) => lines.push(l) });
    expect(lines).toEqual([]);
    expect(second.train.images).toEqual(first.train.images);
    expect(second.train.provenance).toEqual(first.train.provenance);
    // the same bytes under a new time stamp are the same data; another image is not
    writeFileSync(join(dir, "train", "c1", "0001.png"), colour(99));
    const third = loadImageFolder({ ...opts, name: "x", log: (l) => lines.push(l) });
    expect(lines[0]).toBe(`x: decoding 8 images of ${dir}`);
    expect(third.train.provenance.files[0]!.sha256).not.toBe(first.train.provenance.files[0]!.sha256);
    expect(third.train.provenance.cacheFile).not.toBe(first.train.provenance.cacheFile);
    expect([...third.train.images, ...third.valid.images]).not.toEqual([...first.train.images, ...first.valid.images]);
    expect(readdirSync(join(dataDir, "cache"))).toHaveLength(4);
  });

  it("the cache key holds both orders: an entry keyed without them (the test split unpermuted) is not read", () => {
    const dir = folder([2, 2], 2);
    const dataDir = tempDir();
    const first = load(dir, "rgb32", { dataDir });
    const key = keyOf(first.train.provenance.cacheFile!);
    const entry = JSON.parse(readFileSync(join(dataDir, "cache", `${key}.json`), "utf8")) as {
      description: { order: unknown };
    };
    const order = { train: "numpy RandomState(0).permutation(4)", test: "numpy RandomState(0).permutation(4)" };
    expect(entry.description.order).toEqual(order);
    // the key the decoded pixels had before the test split was permuted: an entry there (here zeros) is not read
    const sha = first.train.provenance.files[0]!.sha256;
    const steps = [first.train.provenance.preprocessing[0]!];
    const old = cacheKey({ dataset: "images", layout: "rgb32", files: [sha], steps });
    expect(cacheKey({ dataset: "images", layout: "rgb32", files: [sha], order, steps })).toBe(key);
    const cacheDir = join(dataDir, "cache");
    rmSync(cacheDir, { recursive: true });
    const zeros = new Uint8Array(4 * 3072);
    const arrays = new Map([
      ["train", zeros],
      ["test", zeros],
    ]);
    writeCache(cacheDir, old, {}, arrays);
    expect(readCache(cacheDir, old)?.get("test")).toEqual(zeros); // a valid entry
    const again = load(dir, "rgb32", { dataDir });
    expect(again.train.provenance.cacheFile).toBe(first.train.provenance.cacheFile);
    expect(again.test.images).toEqual(first.test.images);
    expect(again.test.images.some((v) => v !== 0)).toBe(true);
  });
});

describe("loadImageFolder: a bad folder is one line naming the file or folder", () => {
  const bad = (dir: string, file: string, problem: string | RegExp, layout: ImageLayout = "rgb32") => {
    let error: unknown;
    try {
      load(dir, layout, { validCount: 0 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataFormatError);
    const message = (error as Error).message;
    expect(message.startsWith(`${file}: `), message).toBe(true);
    if (typeof problem === "string") expect(message).toBe(`${file}: ${problem}`);
    else expect(message.slice(file.length + 2)).toMatch(problem);
    expect(message).not.toContain("\n");
  };
  const layoutText = "an image folder holds train/<class>/ and test/<class>/ folders of .png, .jpg or .jpeg images";

  it("the folder, train/ or test/ missing", () => {
    const none = join(tempDir(), "nothing-here");
    bad(none, none, `missing or not a folder (${layoutText})`);
    const dir = folder([1]);
    rmSync(join(dir, "test"), { recursive: true });
    bad(dir, join(dir, "test"), `missing (${layoutText})`);
    rmSync(join(dir, "train"), { recursive: true });
    bad(dir, join(dir, "train"), `missing (${layoutText})`);
  });

  it("no class folder; more than 256", () => {
    const dir = tempDir("lowprec-images-");
    put(join(dir, "train", "0.png"), colour(0));
    put(join(dir, "test", "0.png"), colour(0));
    bad(dir, join(dir, "train"), "no class folder: the images go in train/<class>/, one folder per class");
    for (let k = 0; k < 257; k++) mkdirSync(join(dir, "train", `k${k}`));
    bad(dir, join(dir, "train"), "257 class folders, more than 256 (labels are bytes)");
  });

  it("a class of test/ that train/ lacks, and the converse", () => {
    const dir = folder([1, 1]);
    put(join(dir, "test", "extra", "0.png"), colour(0));
    bad(dir, join(dir, "test", "extra"), `class "extra" is not one of the classes of ${join(dir, "train")}`);
    rmSync(join(dir, "test", "extra"), { recursive: true });
    rmSync(join(dir, "test", "c1"), { recursive: true });
    bad(dir, join(dir, "test", "c1"), `missing: ${join(dir, "train")} has class "c1" and test/ needs every class`);
  });

  it("an empty class (train or test); no image at all", () => {
    const dir = folder([1, 1]);
    rmSync(join(dir, "test", "c1", "0.png"));
    put(join(dir, "test", "c1", "notes.txt"), "no image");
    bad(dir, join(dir, "test", "c1"), "no .png, .jpg or .jpeg image (an empty class)");
    rmSync(join(dir, "train", "c0", "0000.png"));
    bad(dir, join(dir, "train", "c0"), "no .png, .jpg or .jpeg image (an empty class)");
    rmSync(join(dir, "train", "c1", "0000.png"));
    bad(dir, join(dir, "train"), "no .png, .jpg or .jpeg image in its 2 class folders");
  });

  it("an image of the wrong size", () => {
    const dir = folder([2]);
    const file = put(
      join(dir, "train", "c0", "0001.png"),
      png(28, 28, () => [1, 2, 3, 255]),
    );
    bad(dir, file, "32×32 expected, 28×28 found (width×height)");
    const g = folder([2], 1, grey);
    const wide = put(
      join(g, "test", "c0", "0.png"),
      png(32, 28, () => [1, 1, 1, 255], 0),
    );
    bad(g, wide, "28×28 expected, 32×28 found (width×height)", "grey28");
  });

  it("a corrupt, truncated or empty file, or one that is neither PNG nor JPEG", () => {
    const dir = folder([2]);
    const file = join(dir, "train", "c0", "0001.png");
    const bytes = readFileSync(file);
    bytes[50]! ^= 0xff; // inside the IDAT chunk (pngjs reports the last of its errors, not the CRC's)
    writeFileSync(file, bytes);
    bad(dir, file, "cannot be decoded as PNG by pngjs (unrecognised content at end of stream)");
    writeFileSync(file, readFileSync(join(dir, "train", "c0", "0000.png")).subarray(0, 60));
    bad(dir, file, "cannot be decoded as PNG by pngjs (There are some read requests waitng on finished stream)");
    const jpeg = jpg(32, 32, () => [1, 2, 3], 90);
    writeFileSync(file, jpeg.subarray(0, jpeg.length - 100));
    bad(dir, file, "cannot be decoded as JPEG by jpeg-js (unknown JPEG marker 0)");
    writeFileSync(file, "GIF89a...");
    bad(dir, file, "neither PNG nor JPEG (it starts with 47 49 46 38)");
    writeFileSync(file, "");
    bad(dir, file, "neither PNG nor JPEG (it starts with nothing: an empty file)");
    rmSync(file);
    symlinkSync(join(dir, "nowhere.png"), file); // a dangling link is no image file
    expect(listImageFolder(dir).train.map((e) => e.relative)).toEqual(["train/c0/0000.png"]);
  });

  it("a colour image for grey28; a pixel that is not opaque", () => {
    const dir = folder([2], 1, grey);
    const file = put(
      join(dir, "train", "c0", "0001.png"),
      png(28, 28, (r, c) => (r === 3 && c === 4 ? [9, 9, 10, 255] : [9, 9, 9, 255])),
    );
    bad(
      dir,
      file,
      "a colour image (R, G, B = 9, 9, 10 at row 3, column 4): the grey28 layout takes grey images" +
        " (a grey PNG, or R = G = B at every pixel)",
      "grey28",
    );
    const c = folder([2]);
    const alpha = put(
      join(c, "test", "c0", "0.png"),
      png(32, 32, (r, c) => [0, 0, 0, r === 31 && c === 0 ? 0 : 255], 6),
    );
    bad(c, alpha, "a pixel that is not fully opaque (alpha 0 at row 31, column 0): only opaque images are taken");
  });
});

/** numpy RandomState(0).permutation(n), by the library's MT19937 + legacy shuffle (checked above for n = 20) */
function permutation(n: number): number[] {
  return [...new NumpyRandomState(0).shuffle(Int32Array.from({ length: n }, (_, i) => i))];
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const keyOf = (bin: string) => basename(bin, ".bin");

import { describe, expect, it } from "vitest";
import { paretoFront } from "../src/index.ts";

type P = { name: string; pj: number; err: number };
const front = (ps: P[]) =>
  paretoFront(
    ps,
    (p) => p.pj,
    (p) => p.err,
  ).map((p) => p.name);

describe("paretoFront", () => {
  it("keeps the points no other point beats on both axes, cheapest first", () => {
    const points: P[] = [
      { name: "fp32", pj: 4.6, err: 1.05 },
      { name: "half", pj: 1.5, err: 1.1 },
      { name: "fixed20", pj: 0.9, err: 1.39 }, // dominated by dfxp (cheaper and better)
      { name: "dfxp", pj: 0.35, err: 1.28 },
      { name: "dfxp8", pj: 0.25, err: 1.6 },
      { name: "worse", pj: 5, err: 1.2 }, // dominated by fp32
    ];
    expect(front(points)).toEqual(["dfxp8", "dfxp", "half", "fp32"]);
  });

  it("drops a point equal on one axis and worse on the other, keeps exact ties, skips NaN", () => {
    const points: P[] = [
      { name: "a", pj: 1, err: 2 },
      { name: "b", pj: 2, err: 2 }, // same error, dearer: dominated by a
      { name: "c", pj: 1, err: 3 }, // same energy, worse: dominated by a
      { name: "a2", pj: 1, err: 2 }, // a's twin: neither dominates
      { name: "nan", pj: Number.NaN, err: 0 },
      { name: "d", pj: 3, err: 1 },
    ];
    expect(front(points)).toEqual(["a", "a2", "d"]);
    expect(front([])).toEqual([]);
  });
});

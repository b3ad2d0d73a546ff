/**
 * The Pareto front of points when both coordinates are to be minimised: the points that no other point
 * matches or beats on both coordinates while beating on one. Points whose x or y is NaN are skipped; points
 * with equal coordinates are all kept. The front is returned sorted by x (then y), i.e. from the cheapest point
 * to the most accurate one.
 */
export function paretoFront<T>(points: readonly T[], x: (p: T) => number, y: (p: T) => number): T[] {
  const items = points
    .map((p, i) => ({ p, i, x: x(p), y: y(p) }))
    .filter((q) => !Number.isNaN(q.x) && !Number.isNaN(q.y))
    .sort((a, b) => a.x - b.x || a.y - b.y || a.i - b.i);
  const front: T[] = [];
  let bestY = Number.POSITIVE_INFINITY;
  let lastX = Number.NaN;
  let lastY = Number.NaN;
  for (const q of items) {
    // Sorted by x then y: q is dominated iff an earlier point has y below q's, or the same y at a smaller x.
    const tie = q.x === lastX && q.y === lastY;
    if (q.y < bestY || tie) {
      front.push(q.p);
      bestY = q.y;
      lastX = q.x;
      lastY = q.y;
    }
  }
  return front;
}

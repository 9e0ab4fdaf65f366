/** A line segment [x1, y1, x2, y2] of a contour. */
export type Segment = [number, number, number, number];

/**
 * Marching squares on a regular grid: the segments of the level set {u = level}.
 * `values[j][i]` is the value at (x[i], y[j]); null cells (outside the plotted range) are skipped.
 * Saddle cells are resolved by the cell mean, which is all a plot needs.
 */
export function contourSegments(x: readonly number[], y: readonly number[], values: readonly (readonly (number | null)[])[], level: number): Segment[] {
  const out: Segment[] = [];
  const lerp = (a: number, b: number, va: number, vb: number): number => (vb === va ? (a + b) / 2 : a + ((level - va) / (vb - va)) * (b - a));
  for (let j = 0; j + 1 < y.length; j++) {
    for (let i = 0; i + 1 < x.length; i++) {
      const v00 = values[j]?.[i];
      const v10 = values[j]?.[i + 1];
      const v01 = values[j + 1]?.[i];
      const v11 = values[j + 1]?.[i + 1];
      if (v00 == null || v10 == null || v01 == null || v11 == null) continue;
      // Corner order: bottom-left, bottom-right, top-right, top-left.
      const c = (v00 > level ? 1 : 0) | (v10 > level ? 2 : 0) | (v11 > level ? 4 : 0) | (v01 > level ? 8 : 0);
      if (c === 0 || c === 15) continue;
      const bottom: [number, number] = [lerp(x[i], x[i + 1], v00, v10), y[j]];
      const right: [number, number] = [x[i + 1], lerp(y[j], y[j + 1], v10, v11)];
      const top: [number, number] = [lerp(x[i], x[i + 1], v01, v11), y[j + 1]];
      const left: [number, number] = [x[i], lerp(y[j], y[j + 1], v00, v01)];
      const seg = (a: [number, number], b: [number, number]): void => {
        out.push([a[0], a[1], b[0], b[1]]);
      };
      const centerAbove = (v00 + v10 + v11 + v01) / 4 > level;
      switch (c) {
        case 1:
        case 14:
          seg(left, bottom);
          break;
        case 2:
        case 13:
          seg(bottom, right);
          break;
        case 3:
        case 12:
          seg(left, right);
          break;
        case 4:
        case 11:
          seg(right, top);
          break;
        case 6:
        case 9:
          seg(bottom, top);
          break;
        case 7:
        case 8:
          seg(left, top);
          break;
        case 5:
          if (centerAbove) {
            seg(left, top);
            seg(bottom, right);
          } else {
            seg(left, bottom);
            seg(right, top);
          }
          break;
        case 10:
          if (centerAbove) {
            seg(left, bottom);
            seg(right, top);
          } else {
            seg(left, top);
            seg(bottom, right);
          }
          break;
      }
    }
  }
  return out;
}

/** Evenly spaced contour levels from the grid minimum up to `min + span`. */
export function contourLevels(values: readonly (readonly (number | null)[])[], count: number, span: number): number[] {
  let min = Infinity;
  for (const row of values) for (const v of row) if (v != null && v < min) min = v;
  if (!Number.isFinite(min)) return [];
  const levels: number[] = [];
  for (let k = 1; k <= count; k++) levels.push(min + (span * k) / (count + 1));
  return levels;
}

/**
 * Joins marching-squares segments into polylines (neighbouring cells compute a shared crossing from the same edge
 * values, so endpoints match exactly): one SVG path per contour piece instead of one element per segment, which keeps
 * the scatter figures small.
 */
export function contourPolylines(segments: readonly Segment[]): [number, number][][] {
  const key = (x: number, y: number): string => `${x},${y}`;
  const ends = new Map<string, number[]>();
  segments.forEach(([x1, y1, x2, y2], i) => {
    for (const k of [key(x1, y1), key(x2, y2)]) {
      const l = ends.get(k);
      if (l) l.push(i);
      else ends.set(k, [i]);
    }
  });
  const used = new Uint8Array(segments.length);
  const lines: [number, number][][] = [];
  const extend = (line: [number, number][]): void => {
    for (;;) {
      const [x, y] = line[line.length - 1];
      const next = (ends.get(key(x, y)) ?? []).find((j) => !used[j]);
      if (next === undefined) return;
      used[next] = 1;
      const [a, b, c, d] = segments[next];
      line.push(a === x && b === y ? [c, d] : [a, b]);
    }
  };
  segments.forEach(([x1, y1, x2, y2], i) => {
    if (used[i]) return;
    used[i] = 1;
    const forward: [number, number][] = [
      [x1, y1],
      [x2, y2],
    ];
    extend(forward);
    const backward: [number, number][] = [[x1, y1]];
    extend(backward);
    lines.push([...backward.slice(1).reverse(), ...forward]);
  });
  return lines;
}

/** Plane geometry for cable paths: points, directions and cubic Bézier sampling. */

export interface Point {
  readonly x: number;
  readonly y: number;
}

export const point = (x: number, y: number): Point => ({ x, y });
export const add = (a: Point, b: Point): Point => point(a.x + b.x, a.y + b.y);
export const scale = (a: Point, k: number): Point => point(a.x * k, a.y * k);
/** Unit vector at `angle` radians (0 = +x, growing clockwise on screen since y points down). */
export const unit = (angle: number): Point => point(Math.cos(angle), Math.sin(angle));
/** The unit vector a quarter turn from `angle`. */
export const normal = (angle: number): Point => unit(angle + Math.PI / 2);

/** A cubic Bézier segment. */
export interface Cubic {
  readonly p0: Point;
  readonly c1: Point;
  readonly c2: Point;
  readonly p1: Point;
}

export function cubicAt(c: Cubic, t: number): Point {
  const s = 1 - t;
  const a = s * s * s;
  const b = 3 * s * s * t;
  const d = 3 * s * t * t;
  const e = t * t * t;
  return point(
    a * c.p0.x + b * c.c1.x + d * c.c2.x + e * c.p1.x,
    a * c.p0.y + b * c.c1.y + d * c.c2.y + e * c.p1.y,
  );
}

/** Points along the curve from its start until `length` pixels of arc have been covered. */
export function sampleByLength(c: Cubic, length: number, step = 1): Point[] {
  const points = [c.p0];
  let covered = 0;
  let previous = c.p0;
  for (let i = 1; i <= 2000 && covered < length; i++) {
    const next = cubicAt(c, i / 2000);
    const d = Math.hypot(next.x - previous.x, next.y - previous.y);
    if (d >= step || covered + d >= length) {
      covered += d;
      points.push(next);
      previous = next;
    }
  }
  return points;
}

const fmt = (n: number): string => (Math.round(n * 100) / 100).toString();

export const svgPoint = (p: Point): string => `${fmt(p.x)} ${fmt(p.y)}`;

/** SVG path data for a polyline. */
export function polylinePath(points: readonly Point[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'} ${svgPoint(p)}`).join(' ');
}

/** SVG path data for a cubic, optionally continuing a path (no move-to). */
export function cubicPath(c: Cubic, moveTo = true): string {
  return `${moveTo ? `M ${svgPoint(c.p0)} ` : ''}C ${svgPoint(c.c1)} ${svgPoint(c.c2)} ${svgPoint(c.p1)}`;
}

export { fmt };

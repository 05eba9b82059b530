import {
  add,
  Cubic,
  cubicPath,
  fmt,
  normal,
  Point,
  point,
  polylinePath,
  sampleByLength,
  scale,
  svgPoint,
  unit,
} from './geometry.js';
import { Box, Cable, Defect, Rgb, Scene } from './scene.js';

/**
 * Renders what lies on the desk (cables, shadows, equipment) as an SVG document with a transparent
 * background, to be composited over the painted wood.
 */
export function sceneToSvg(scene: Scene): string {
  const { width, height } = scene;
  const exposed =
    scene.defect.kind === 'exposed'
      ? strippedSection(scene.cable, scene.defect.length * scene.cable.style.width)
      : undefined;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    '<defs>',
    `<filter id="soft" x="-20%" y="-20%" width="140%" height="140%"><feGaussianBlur stdDeviation="${fmt(
      Math.max(1.5, scene.cable.style.width * 0.18),
    )}"/></filter>`,
    exposed
      ? `<mask id="stripped" maskUnits="userSpaceOnUse" x="0" y="0" width="${width}" height="${height}">` +
        `<rect width="${width}" height="${height}" fill="white"/>` +
        `<path d="${polylinePath(exposed)}" stroke="black" stroke-width="${fmt(scene.cable.style.width + 4)}" fill="none"/>` +
        '</mask>'
      : '',
    '</defs>',
    ...scene.others.map((cable) => cableSvg(cable, scene.lightAngle)),
    scene.box ? boxSvg(scene.box, scene.lightAngle) : '',
    cableSvg(scene.cable, scene.lightAngle, exposed ? 'stripped' : undefined),
    defectSvg(scene.cable, scene.defect, scene.lightAngle, exposed),
    '</svg>',
  ];
  return parts.join('\n');
}

const rgb = (c: Rgb): string => `rgb(${c.map((v) => Math.max(0, Math.min(255, Math.round(v)))).join(',')})`;
const mix = (a: Rgb, b: Rgb, t: number): Rgb =>
  [0, 1, 2].map((i) => a[i] + (b[i] - a[i]) * t) as unknown as Rgb;
const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
const degrees = (radians: number): string => fmt((radians * 180) / Math.PI);

/** Path data of a whole cable: backward half reversed, then the forward half. */
function cablePath(cable: Cable): string {
  const back: Cubic = {
    p0: cable.backward.p1,
    c1: cable.backward.c2,
    c2: cable.backward.c1,
    p1: cable.backward.p0,
  };
  return `${cubicPath(back)} ${cubicPath(cable.forward, false)}`;
}

/** Shadow, shaded body (dark rim, face, highlight toward the light), braid and plug. */
function cableSvg(cable: Cable, lightAngle: number, maskId?: string): string {
  const { colour, width: w, braided } = cable.style;
  const d = cablePath(cable);
  const shadow = scale(unit(lightAngle + Math.PI), w * 0.3);
  const highlight = scale(unit(lightAngle), w * 0.2);
  const stroke = (c: Rgb, width: number, extra = '') =>
    `<path d="${d}" fill="none" stroke="${rgb(c)}" stroke-width="${fmt(width)}" stroke-linecap="round" stroke-linejoin="round" ${extra}/>`;
  const dark = colour[0] + colour[1] + colour[2] < 200;
  const body = [
    stroke(mix(colour, BLACK, dark ? 0.5 : 0.35), w),
    stroke(colour, w * 0.72),
    stroke(
      mix(colour, WHITE, dark ? 0.35 : 0.6),
      w * 0.22,
      `opacity="0.55" transform="translate(${svgPoint(highlight)})"`,
    ),
    braided ? stroke(mix(colour, WHITE, 0.35), w * 0.86, 'stroke-dasharray="1.6 1.8" opacity="0.45"') : '',
    braided
      ? stroke(BLACK, w * 0.86, 'stroke-dasharray="1.2 2.2" stroke-dashoffset="1.7" opacity="0.5"')
      : '',
    cable.plug ? plugSvg(cable, lightAngle) : '',
  ];
  return [
    `<path d="${d}" fill="none" stroke="black" stroke-opacity="0.35" stroke-width="${fmt(w * 1.05)}" ` +
      `transform="translate(${svgPoint(shadow)})" filter="url(#soft)"/>`,
    `<g${maskId ? ` mask="url(#${maskId})"` : ''}>`,
    ...body,
    '</g>',
  ].join('\n');
}

function plugSvg(cable: Cable, lightAngle: number): string {
  const plug = cable.plug;
  if (!plug) return '';
  const { p1, c2 } = cable.forward;
  const angle = Math.atan2(p1.y - c2.y, p1.x - c2.x);
  const tipLength = plug.length * 0.45;
  const tipWidth = plug.width * 0.72;
  const shadow = scale(unit(lightAngle + Math.PI), cable.style.width * 0.35);
  const shape = (fill: string, extra = '') =>
    `<rect x="${fmt(-1)}" y="${fmt(-plug.width / 2)}" width="${fmt(plug.length)}" height="${fmt(plug.width)}" rx="${fmt(
      plug.width * 0.18,
    )}" fill="${fill}" ${extra}/>` +
    `<rect x="${fmt(plug.length - 1)}" y="${fmt(-tipWidth / 2)}" width="${fmt(tipLength)}" height="${fmt(tipWidth)}" rx="1" fill="${
      fill === 'black' ? fill : '#c9cacd'
    }" ${extra}/>`;
  return [
    `<g transform="translate(${svgPoint(add(p1, shadow))}) rotate(${degrees(angle)})" opacity="0.35" filter="url(#soft)">${shape('black')}</g>`,
    `<g transform="translate(${svgPoint(p1)}) rotate(${degrees(angle)})">`,
    shape(rgb(plug.colour), `stroke="${rgb(mix(plug.colour, BLACK, 0.4))}" stroke-width="1"`),
    `<rect x="${fmt(plug.length)}" y="${fmt(-tipWidth * 0.3)}" width="${fmt(tipLength - 2)}" height="${fmt(
      tipWidth * 0.18,
    )}" fill="white" opacity="0.5"/>`,
    '</g>',
  ].join('\n');
}

function boxSvg(box: Box, lightAngle: number): string {
  const shadow = scale(unit(lightAngle + Math.PI), 5);
  const top = mix(box.colour, WHITE, 0.2);
  const bottom = mix(box.colour, BLACK, 0.25);
  return [
    `<linearGradient id="boxShade" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${rgb(top)}"/>` +
      `<stop offset="1" stop-color="${rgb(bottom)}"/></linearGradient>`,
    `<rect x="${fmt(box.x + shadow.x)}" y="${fmt(box.y + shadow.y)}" width="${fmt(box.width)}" height="${fmt(box.height)}" ` +
      `rx="${fmt(box.height * 0.15)}" fill="black" opacity="0.35" filter="url(#soft)"/>`,
    `<rect x="${fmt(box.x)}" y="${fmt(box.y)}" width="${fmt(box.width)}" height="${fmt(box.height)}" rx="${fmt(
      box.height * 0.15,
    )}" fill="url(#boxShade)" stroke="${rgb(bottom)}" stroke-width="1"/>`,
  ].join('\n');
}

/** The stretch of cable (polyline) around the anchor where the insulation is stripped. */
function strippedSection(cable: Cable, length: number): Point[] {
  const forward = sampleByLength(cable.forward, length / 2);
  const backward = sampleByLength(cable.backward, length / 2);
  return [...backward.reverse(), ...forward.slice(1)];
}

function defectSvg(cable: Cable, defect: Defect, lightAngle: number, stripped?: Point[]): string {
  switch (defect.kind) {
    case 'none':
      return '';
    case 'cut':
      return cutSvg(cable, defect);
    case 'exposed':
      return exposedSvg(cable, defect, lightAngle, stripped ?? []);
    case 'kink':
      return kinkSvg(cable, defect);
  }
}

/** A slit through the insulation: a dark wedge gaping at the surface, with a lit cut face along one side. */
function cutSvg(cable: Cable, defect: Extract<Defect, { kind: 'cut' }>): string {
  const { colour, width: w } = cable.style;
  const along = unit(cable.heading);
  const across = normal(cable.heading + defect.tilt);
  const shapes: string[] = [];
  for (let i = 0; i < defect.count; i++) {
    const centre = add(cable.anchor, scale(along, i * w * 0.9));
    const start = add(centre, scale(across, defect.side * w * 0.5));
    const end = add(start, scale(across, -defect.side * w * defect.depth));
    const gap = scale(along, (defect.gap * w) / 2);
    const narrow = scale(along, 0.35);
    const wedge = [
      add(start, gap),
      add(end, narrow),
      add(end, scale(narrow, -1)),
      add(start, scale(gap, -1)),
    ];
    const inside = [add(start, scale(gap, 0.55)), end, add(start, scale(gap, -0.55))];
    shapes.push(
      `<path d="${polylinePath(wedge)} Z" fill="${rgb(mix(colour, [20, 16, 14], 0.85))}"/>`,
      `<path d="${polylinePath(inside)} Z" fill="${rgb(defect.interior)}" opacity="0.85"/>`,
      `<path d="${polylinePath([add(start, gap), add(end, narrow)])}" stroke="${rgb(
        mix(colour, WHITE, 0.55),
      )}" stroke-width="0.9" opacity="0.85" fill="none"/>`,
    );
  }
  return shapes.join('\n');
}

/** Copper strands where the insulation is missing, with the insulation's cut faces at both ends. */
function exposedSvg(
  cable: Cable,
  defect: Extract<Defect, { kind: 'exposed' }>,
  lightAngle: number,
  section: Point[],
): string {
  const { colour, width: w } = cable.style;
  const core = w * defect.core;
  const d = polylinePath(section);
  const highlight = scale(unit(lightAngle), core * 0.2);
  const shadow = scale(unit(lightAngle + Math.PI), w * 0.25);
  const first = section[0];
  const last = section[section.length - 1];
  const headingAt = (a: Point, b: Point) => Math.atan2(b.y - a.y, b.x - a.x);
  const face = (p: Point, angle: number) =>
    `<ellipse cx="${fmt(p.x)}" cy="${fmt(p.y)}" rx="${fmt(Math.max(1.2, w * 0.12))}" ry="${fmt(w / 2)}" ` +
    `transform="rotate(${degrees(angle)} ${fmt(p.x)} ${fmt(p.y)})" fill="${rgb(mix(colour, BLACK, 0.3))}"/>` +
    `<ellipse cx="${fmt(p.x)}" cy="${fmt(p.y)}" rx="${fmt(Math.max(0.8, w * 0.07))}" ry="${fmt(core / 2)}" ` +
    `transform="rotate(${degrees(angle)} ${fmt(p.x)} ${fmt(p.y)})" fill="${rgb(mix(defect.copper, BLACK, 0.35))}"/>`;
  const strands: string[] = [];
  for (let i = 0; i < defect.frayed; i++) {
    const from = i % 2 === 0 ? section[Math.floor(section.length / 2)] : i % 4 === 1 ? first : last;
    const angle = headingAt(first, last) + (i % 2 === 0 ? 1 : -1) * (0.4 + 0.25 * i);
    const to = add(from, scale(unit(angle), w * (0.45 + 0.1 * i)));
    strands.push(
      `<path d="${polylinePath([from, to])}" stroke="${rgb(mix(defect.copper, WHITE, 0.2))}" stroke-width="0.8" fill="none"/>`,
    );
  }
  const coreStroke = (c: Rgb, width: number, extra = '') =>
    `<path d="${d}" fill="none" stroke="${rgb(c)}" stroke-width="${fmt(width)}" ${extra}/>`;
  return [
    coreStroke(BLACK, core, `opacity="0.3" transform="translate(${svgPoint(shadow)})" filter="url(#soft)"`),
    coreStroke(mix(defect.copper, BLACK, 0.25), core),
    coreStroke(defect.copper, core * 0.75),
    coreStroke(mix(defect.copper, BLACK, 0.55), core, 'stroke-dasharray="1 1.3" opacity="0.7"'),
    coreStroke(
      mix(defect.copper, WHITE, 0.45),
      core * 0.28,
      `opacity="0.75" transform="translate(${svgPoint(highlight)})"`,
    ),
    ...strands,
    face(first, headingAt(section[0], section[1])),
    face(last, headingAt(section[section.length - 2], last)),
  ].join('\n');
}

/** A sharp fold: flattened insulation at the apex, a dark fold inside and stress-whitening outside. */
function kinkSvg(cable: Cable, defect: Extract<Defect, { kind: 'kink' }>): string {
  const { colour, width: w } = cable.style;
  const apex = cable.anchor;
  const inward = Math.atan2(cable.backward.c1.y - apex.y, cable.backward.c1.x - apex.x) + Math.PI;
  const outward = Math.atan2(cable.forward.c1.y - apex.y, cable.forward.c1.x - apex.x);
  const a = unit(inward);
  const b = unit(outward);
  const innerRaw = point(b.x - a.x, b.y - a.y);
  const norm = Math.hypot(innerRaw.x, innerRaw.y) || 1;
  const inner = scale(innerRaw, 1 / norm);
  const bisector = Math.atan2(inner.y, inner.x);
  const outerEdge = add(apex, scale(inner, -w * 0.48));
  const innerEdge = add(apex, scale(inner, w * 0.42));
  const whitening = mix(colour, WHITE, colour[0] + colour[1] + colour[2] < 200 ? 0.45 : 0.2);
  const creases: string[] = [];
  for (let i = -1; i <= 1; i++) {
    const dir = unit(bisector + Math.PI + i * 0.35);
    const from = add(apex, scale(dir, w * 0.05));
    const to = add(apex, scale(dir, w * 0.5));
    creases.push(
      `<path d="${polylinePath([from, to])}" stroke="${rgb(whitening)}" stroke-width="1.2" opacity="${fmt(
        0.35 + 0.5 * defect.crease,
      )}" fill="none"/>`,
    );
  }
  return [
    `<ellipse cx="${fmt(apex.x)}" cy="${fmt(apex.y)}" rx="${fmt(w * 0.4)}" ry="${fmt(w * 0.6)}" ` +
      `transform="rotate(${degrees(bisector)} ${fmt(apex.x)} ${fmt(apex.y)})" fill="${rgb(colour)}"/>`,
    `<path d="${polylinePath([innerEdge, add(innerEdge, scale(inner, -w * 0.45))])}" stroke="${rgb(
      mix(colour, BLACK, 0.7),
    )}" stroke-width="1.6" fill="none"/>`,
    `<circle cx="${fmt(outerEdge.x)}" cy="${fmt(outerEdge.y)}" r="${fmt(w * 0.18)}" fill="${rgb(whitening)}" opacity="${fmt(
      0.3 * defect.crease,
    )}"/>`,
    ...creases,
  ].join('\n');
}

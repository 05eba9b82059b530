import { add, Cubic, Point, point, scale, unit } from './geometry.js';
import { DEFAULT_LINE, type Line } from './lines.js';
import { Prng } from './prng.js';

/** The classes the generator can draw, in a stable order (also the trainer's label order when sorted). */
export const CABLE_LABELS = ['good', 'cut_insulation', 'exposed_conductor', 'kink'] as const;
export type CableLabel = (typeof CABLE_LABELS)[number];

export function isCableLabel(value: string): value is CableLabel {
  return (CABLE_LABELS as readonly string[]).includes(value);
}

export type Rgb = readonly [number, number, number];

export interface CableStyle {
  readonly colour: Rgb;
  /** Diameter in pixels. */
  readonly width: number;
  /** Woven sleeve (like a braided USB cable) rather than smooth PVC. */
  readonly braided: boolean;
}

/** A plug moulded on the end of the forward half. */
export interface Plug {
  readonly length: number;
  readonly width: number;
  readonly colour: Rgb;
}

export interface Cable {
  readonly style: CableStyle;
  /** Where the two halves meet; defects are drawn here. */
  readonly anchor: Point;
  /** Direction of the forward half at the anchor, radians. */
  readonly heading: number;
  /** From the anchor outwards, in both directions. */
  readonly forward: Cubic;
  readonly backward: Cubic;
  readonly plug?: Plug;
}

export type Defect =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'cut';
      /** Tilt of the slit from the cable's cross-section, radians. */
      readonly tilt: number;
      /** Fraction of the diameter the slit crosses, from the side it starts. */
      readonly depth: number;
      readonly side: 1 | -1;
      /** How far the slit gapes at the surface, as a fraction of the diameter. */
      readonly gap: number;
      readonly count: 1 | 2;
      /** What shows through the slit: filler, inner insulation or a glint of copper. */
      readonly interior: Rgb;
    }
  | {
      readonly kind: 'exposed';
      /** Length of the stripped section along the cable, in diameters. */
      readonly length: number;
      /** Conductor bundle diameter as a fraction of the cable diameter. */
      readonly core: number;
      readonly copper: Rgb;
      readonly frayed: number;
    }
  | {
      readonly kind: 'kink';
      /** Signed turn of the forward half at the anchor, radians. */
      readonly turn: number;
      /** Strength of the whitened crease, 0-1. */
      readonly crease: number;
    };

export interface Wood {
  readonly base: Rgb;
  /** Direction the grain runs, radians. */
  readonly grainAngle: number;
  readonly grainSeed: number;
  /** How much darker the darkest streaks are, 0-1. */
  readonly grainStrength: number;
  /** Slow waves that bend the streaks. */
  readonly waves: readonly {
    readonly amplitude: number;
    readonly frequency: number;
    readonly phase: number;
  }[];
  /** Streak sizes across the grain (pixels) and their weights. */
  readonly streaks: readonly { readonly scale: number; readonly weight: number }[];
  /** Broad darker bands (growth rings): position across the grain and width, pixels. */
  readonly bands: readonly { readonly offset: number; readonly width: number; readonly strength: number }[];
}

/** A piece of equipment (like a USB hub) lying at the top or bottom edge of the frame. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly colour: Rgb;
}

export interface Camera {
  readonly gain: number;
  /** Per-channel white-balance multipliers. */
  readonly whiteBalance: Rgb;
  /** Strength of a cool (bluish) light falling from one side, as on the reference ESP32-CAM photo. */
  readonly coolCast: number;
  readonly coolCastAngle: number;
  readonly vignette: number;
  readonly blur: number;
  /** Standard deviation of the sensor noise, 0-255 levels. */
  readonly noise: number;
  readonly jpegQuality: number;
}

/** A conveyor belt of ribbed rubber: its colour, the ribs across it, and the grime on it. */
export interface Belt {
  readonly base: Rgb;
  /** Direction the belt runs, radians; its ribs cross it. */
  readonly angle: number;
  /** Pixels between two ribs, and how much darker the grooves are, 0-1. */
  readonly ribPitch: number;
  readonly ribDepth: number;
  readonly grimeSeed: number;
  readonly grime: number;
}

export interface Scene {
  readonly width: number;
  readonly height: number;
  readonly label: CableLabel;
  /** What the cables lie on: a wooden desk or a conveyor belt. */
  readonly background:
    { readonly kind: 'wood'; readonly wood: Wood } | { readonly kind: 'belt'; readonly belt: Belt };
  readonly others: readonly Cable[];
  readonly box?: Box;
  readonly cable: Cable;
  readonly defect: Defect;
  /** Direction light comes from (shadows fall the other way), radians. */
  readonly lightAngle: number;
  readonly camera: Camera;
}

const CUT_INTERIOR: readonly Rgb[] = [
  [228, 224, 210],
  [200, 200, 196],
  [150, 150, 150],
  [205, 130, 70],
];

const COPPER: readonly Rgb[] = [
  [196, 120, 66],
  [212, 140, 84],
  [184, 104, 52],
  [222, 160, 100],
];

/** Samples a whole picture for `label` on `line`; every random choice comes from `rng`. */
export function sampleScene(
  rng: Prng,
  label: CableLabel,
  width: number,
  height: number,
  line: Line = DEFAULT_LINE,
): Scene {
  const diagonal = Math.hypot(width, height);
  const background =
    line.background === 'wood'
      ? { kind: 'wood' as const, wood: sampleWood(rng, width, height) }
      : { kind: 'belt' as const, belt: sampleBelt(rng) };
  const others = Array.from({ length: rng.pick([0, 0, 0, 1, 1, 2]) }, () =>
    sampleCable(rng, width, height, { anywhere: true, diagonal, line }),
  );
  const box = rng.chance(0.15) ? sampleBox(rng, width, height) : undefined;
  const defect = sampleDefect(rng, label);
  const cable = sampleCable(rng, width, height, {
    anywhere: false,
    diagonal,
    turn: defect.kind === 'kink' ? defect.turn : 0,
    line,
  });
  return {
    width,
    height,
    label,
    background,
    others,
    box,
    cable,
    defect,
    lightAngle: rng.range(-Math.PI, Math.PI),
    camera: sampleCamera(rng, line),
  };
}

/** Light, low-saturation desk wood like the reference photo (about rgb(155, 141, 125)). */
function sampleWood(rng: Prng, width: number, height: number): Wood {
  const red = rng.range(150, 210);
  const green = rng.range(0.84, 0.93);
  const span = Math.hypot(width, height);
  return {
    base: [red, red * green, red * (green - rng.range(0.08, 0.2))],
    grainAngle: rng.range(-0.5, 0.5) + (rng.chance(0.35) ? Math.PI / 2 : 0),
    grainSeed: rng.seed(),
    grainStrength: rng.range(0.06, 0.16),
    waves: Array.from({ length: 2 }, () => ({
      amplitude: rng.range(1, 12),
      frequency: rng.range(0.004, 0.03),
      phase: rng.range(0, 2 * Math.PI),
    })),
    streaks: [
      { scale: rng.range(1.2, 2.5), weight: rng.range(0.2, 0.5) },
      { scale: rng.range(4, 9), weight: rng.range(0.3, 0.6) },
      { scale: rng.range(15, 40), weight: rng.range(0.3, 0.7) },
    ],
    bands: Array.from({ length: rng.int(0, 3) }, () => ({
      offset: rng.range(-0.5, 1) * span,
      width: rng.range(6, 40),
      strength: rng.range(0.3, 1),
    })),
  };
}

/** A dark, slightly green or blue rubber belt. */
function sampleBelt(rng: Prng): Belt {
  const grey = rng.range(38, 62);
  return {
    base: [grey, grey + rng.range(0, 8), grey + rng.range(-2, 8)],
    angle: rng.range(-0.25, 0.25) + (rng.chance(0.5) ? Math.PI / 2 : 0),
    ribPitch: rng.range(5, 11),
    ribDepth: rng.range(0.15, 0.35),
    grimeSeed: rng.seed(),
    grime: rng.range(0.05, 0.2),
  };
}

function sampleStyle(rng: Prng, line: Line, [minWidth, maxWidth]: readonly [number, number]): CableStyle {
  const colour = rng.pick(line.insulation);
  const dark = colour[0] + colour[1] + colour[2] < 200;
  return { colour, width: rng.range(minWidth, maxWidth), braided: dark && rng.chance(0.4) };
}

function sampleCable(
  rng: Prng,
  width: number,
  height: number,
  options: { anywhere: boolean; diagonal: number; turn?: number; line: Line },
): Cable {
  const { line } = options;
  const style = sampleStyle(rng, line, options.anywhere ? line.otherCableWidth : line.cableWidth);
  // The main cable's anchor stays well inside the centred square a square-input model crops.
  const half = Math.min(width, height) / 2;
  const anchor = options.anywhere
    ? point(rng.range(0, width), rng.range(0, height))
    : point(width / 2 + rng.range(-0.45, 0.45) * half, height / 2 + rng.range(-0.45, 0.45) * half);
  const heading = rng.range(-Math.PI, Math.PI);
  const turn = options.turn ?? 0;
  const kinked = turn !== 0;
  const bend = () => (kinked ? rng.range(-0.25, 0.25) : rng.range(-0.8, 0.8));
  const long = options.diagonal * 1.1;
  const plug = !options.anywhere && !kinked && rng.chance(0.3) ? samplePlug(rng, style, line) : undefined;
  const forwardLength = plug ? rng.range(0.3, 0.45) * Math.max(width, height) : long;
  return {
    style,
    anchor,
    heading: heading + turn,
    forward: halfCurve(anchor, heading + turn, bend(), forwardLength, kinked),
    backward: halfCurve(anchor, heading + Math.PI, bend(), long, kinked),
    plug,
  };
}

/**
 * One half of a cable, leaving `anchor` at `startHeading` and turning by `bend` over `length`. A kinked
 * cable keeps its control points close to straight near the anchor so the turn stays sharp.
 */
function halfCurve(anchor: Point, startHeading: number, bend: number, length: number, stiff: boolean): Cubic {
  const p1 = add(anchor, scale(unit(startHeading + bend / 2), length));
  return {
    p0: anchor,
    c1: add(anchor, scale(unit(startHeading), length * (stiff ? 0.5 : 0.35))),
    c2: add(p1, scale(unit(startHeading + bend), -length * 0.35)),
    p1,
  };
}

function samplePlug(rng: Prng, style: CableStyle, line: Line): Plug {
  return {
    length: style.width * rng.range(2.2, 3.5),
    width: style.width * rng.range(1.4, 1.9),
    colour: rng.chance(0.5) ? style.colour : rng.pick(line.insulation),
  };
}

function sampleBox(rng: Prng, width: number, height: number): Box {
  const boxHeight = height * rng.range(0.12, 0.22);
  const boxWidth = width * rng.range(0.5, 1.1);
  const x = rng.range(-0.2 * width, width - boxWidth * 0.6);
  const y = rng.chance(0.5) ? height - boxHeight * rng.range(0.6, 1) : -boxHeight * rng.range(0, 0.4);
  const grey = rng.range(80, 170);
  return {
    x,
    y,
    width: boxWidth,
    height: boxHeight,
    colour: [grey, grey + rng.range(0, 6), grey + rng.range(2, 12)],
  };
}

function sampleDefect(rng: Prng, label: CableLabel): Defect {
  switch (label) {
    case 'good':
      return { kind: 'none' };
    case 'cut_insulation':
      return {
        kind: 'cut',
        tilt: rng.range(-0.45, 0.45),
        depth: rng.range(0.7, 1),
        side: rng.sign() as 1 | -1,
        gap: rng.range(0.3, 0.5),
        count: rng.chance(0.3) ? 2 : 1,
        interior: rng.pick(CUT_INTERIOR),
      };
    case 'exposed_conductor':
      return {
        kind: 'exposed',
        length: rng.range(1.2, 2.5),
        core: rng.range(0.5, 0.72),
        copper: rng.pick(COPPER),
        frayed: rng.int(0, 4),
      };
    case 'kink':
      return { kind: 'kink', turn: rng.sign() * rng.range(1.0, 2.3), crease: rng.range(0.3, 1) };
  }
}

function sampleCamera(rng: Prng, line: Line): Camera {
  return {
    gain: rng.range(...line.gain),
    whiteBalance: [rng.range(...line.whiteBalanceRed), 1, rng.range(...line.whiteBalanceBlue)],
    coolCast: rng.chance(line.coolCastChance) ? rng.range(...line.coolCast) : 0,
    coolCastAngle: rng.range(-Math.PI, Math.PI),
    vignette: rng.range(...line.vignette),
    blur: rng.range(0.35, 1.3),
    noise: rng.range(1.5, 6),
    jpegQuality: rng.int(60, 90),
  };
}

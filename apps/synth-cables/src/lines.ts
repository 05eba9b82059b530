import type { Rgb } from './scene.js';

/** A range to draw a number from, [min, max). */
export type Range = readonly [number, number];

/**
 * A production line as its camera sees it: how high the camera hangs (how wide the cables look),
 * the lighting, what the cables lie on, and which cables it makes. The default model was trained
 * on `desk`; the others render what a plant would install it at, to measure how a model trained
 * on one line does on another, and how few of the new line's photos it takes to adapt.
 */
export interface Line {
  readonly name: string;
  readonly description: string;
  /** Diameter of the inspected cable, and of the others in the frame, pixels at 320 wide. */
  readonly cableWidth: Range;
  readonly otherCableWidth: Range;
  readonly insulation: readonly Rgb[];
  readonly background: 'wood' | 'belt';
  /** Exposure, red and blue white-balance multipliers, chance and strength of a cool side light. */
  readonly gain: Range;
  readonly whiteBalanceRed: Range;
  readonly whiteBalanceBlue: Range;
  readonly coolCastChance: number;
  readonly coolCast: Range;
  readonly vignette: Range;
}

/** The desk of the reference ESP32-CAM photo: the line the default model was trained on. */
const DESK: Line = {
  name: 'desk',
  description:
    'cables on a light wooden desk under daylight, the camera close (the default model was trained on it)',
  cableWidth: [16, 30],
  otherCableWidth: [6, 18],
  insulation: [
    [238, 238, 234], // white
    [245, 245, 245],
    [32, 32, 34], // black
    [22, 22, 24],
    [110, 112, 116], // grey
    [168, 34, 30], // red
    [30, 78, 160], // blue
    [52, 120, 58], // green
    [220, 180, 40], // yellow
    [210, 110, 40], // orange
  ],
  background: 'wood',
  gain: [0.82, 1.12],
  whiteBalanceRed: [0.92, 1.06],
  whiteBalanceBlue: [0.92, 1.12],
  coolCastChance: 0.6,
  coolCast: [0.05, 0.3],
  vignette: [0.05, 0.3],
};

/**
 * A conveyor: the camera twice as high (thinner cables), warm and dimmer lamps with a stronger
 * vignette and no daylight from the side, a dark ribbed rubber belt, and the cables of that line
 * (purple, brown, teal and grey sheaths, a few black and orange).
 */
const CONVEYOR: Line = {
  name: 'conveyor',
  description: 'cables on a dark ribbed conveyor belt under warm lamps, the camera twice as high',
  cableWidth: [9, 16],
  otherCableWidth: [4, 9],
  insulation: [
    [112, 60, 150], // purple
    [96, 52, 132],
    [120, 78, 46], // brown
    [36, 128, 128], // teal
    [150, 152, 150], // light grey
    [200, 200, 196], // off-white
    [30, 30, 32], // black
    [224, 120, 30], // orange
  ],
  background: 'belt',
  gain: [0.62, 0.9],
  whiteBalanceRed: [1.04, 1.2],
  whiteBalanceBlue: [0.78, 0.92],
  coolCastChance: 0,
  coolCast: [0, 0],
  vignette: [0.25, 0.5],
};

export const LINES: Readonly<Record<string, Line>> = { desk: DESK, conveyor: CONVEYOR };
export const DEFAULT_LINE = DESK;

export function lineNamed(name: string): Line | undefined {
  return Object.hasOwn(LINES, name) ? LINES[name] : undefined;
}

/**
 * The page's scatter plots as inline SVG: the training flowers by species, axes in cm, and a
 * marker for the visitor's flower that the client script moves. The points are drawn here, once;
 * the client only needs each plot's scale (`PlotScale`), which the page hands it as JSON.
 */
import { FEATURE_UNIT, FEATURES } from "../../core/features.js";
import type { Flowers } from "./flowers.js";

/** Where a plot's values go: feature indexes, their domains in cm, the drawing area in px. */
export interface PlotScale {
  readonly id: string;
  /** Feature indexes (into FEATURES) on the x and y axes. */
  readonly x: number;
  readonly y: number;
  readonly xDomain: readonly [number, number];
  readonly yDomain: readonly [number, number];
  /** The drawing area in the SVG's user units: left, top, width, height. */
  readonly area: readonly [number, number, number, number];
}

const WIDTH = 320;
const HEIGHT = 260;
const MARGIN = { left: 40, right: 10, top: 10, bottom: 36 };

/** A feature's domain: its range in the data, a little wider, rounded out to half centimetres. */
function domain([min, max]: readonly [number, number]): [number, number] {
  return [Math.max(0, Math.floor((min - 0.1) * 2) / 2), Math.ceil((max + 0.1) * 2) / 2];
}

/** Tick values: every centimetre, or every half when the domain is short. */
function ticks([from, to]: readonly [number, number]): number[] {
  const step = to - from > 3 ? 1 : 0.5;
  const values: number[] = [];
  for (let v = Math.ceil(from / step) * step; v <= to + 1e-9; v += step) values.push(v);
  return values;
}

const round = (n: number) => Math.round(n * 10) / 10;
const label = (feature: number) =>
  `${(FEATURES[feature] as string).replace("_", " ")} (${FEATURE_UNIT})`;

export function plotScale(id: string, x: number, y: number, flowers: Flowers): PlotScale {
  return {
    id,
    x,
    y,
    xDomain: domain(flowers.ranges[FEATURES[x] as keyof Flowers["ranges"]]),
    yDomain: domain(flowers.ranges[FEATURES[y] as keyof Flowers["ranges"]]),
    area: [
      MARGIN.left,
      MARGIN.top,
      WIDTH - MARGIN.left - MARGIN.right,
      HEIGHT - MARGIN.top - MARGIN.bottom,
    ],
  };
}

/** The SVG of one plot, points coloured by species class `s0`, `s1`, … (the page's CSS). */
export function plotSvg(scale: PlotScale, flowers: Flowers): string {
  const [left, top, width, height] = scale.area;
  const [x0, x1] = scale.xDomain;
  const [y0, y1] = scale.yDomain;
  const px = (v: number) => round(left + ((v - x0) / (x1 - x0)) * width);
  const py = (v: number) => round(top + height - ((v - y0) / (y1 - y0)) * height);
  const bottom = top + height;
  const parts: string[] = [];
  for (const v of ticks(scale.xDomain)) {
    parts.push(
      `<line class="grid" x1="${px(v)}" x2="${px(v)}" y1="${top}" y2="${bottom}"/>`,
      `<text x="${px(v)}" y="${bottom + 14}" text-anchor="middle">${v}</text>`,
    );
  }
  for (const v of ticks(scale.yDomain)) {
    parts.push(
      `<line class="grid" x1="${left}" x2="${left + width}" y1="${py(v)}" y2="${py(v)}"/>`,
      `<text x="${left - 5}" y="${py(v) + 4}" text-anchor="end">${v}</text>`,
    );
  }
  parts.push(
    `<text x="${left + width / 2}" y="${HEIGHT - 4}" text-anchor="middle">${label(scale.x)}</text>`,
    `<text transform="rotate(-90)" x="${-(top + height / 2)}" y="11" text-anchor="middle">${label(scale.y)}</text>`,
  );
  flowers.rows.forEach((row, i) => {
    const cx = px(row[scale.x] as number);
    const cy = py(row[scale.y] as number);
    parts.push(`<circle class="s${flowers.labels[i]}" data-i="${i}" cx="${cx}" cy="${cy}" r="3"/>`);
  });
  // the visitor's flower, drawn last so it is on top; placed by the client script
  parts.push(
    `<g class="you" id="${scale.id}-you"><circle r="7"/><path d="M-11 0H11M0-11V11"/></g>`,
  );
  const title = `${label(scale.y)} against ${label(scale.x)}: the 150 training flowers by species, and yours`;
  return `<svg id="${scale.id}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${scale.id}-title"><title id="${scale.id}-title">${title}</title>${parts.join("")}</svg>`;
}

/**
 * Vega-Lite specs to inline SVG, in Node, without a browser, a canvas or a CDN.
 *
 * vega is ESM-only and one of its modules (vega-canvas) awaits at the top level, so a CommonJS
 * `require` of it fails (ERR_REQUIRE_ASYNC_MODULE): it is loaded with a dynamic import, once.
 * The CLI bundle (package.json build:cli) aliases vega-canvas to its browser build, which has no
 * top-level await and finds no canvas in Node: text is then measured by vega's estimate.
 */
import type { TopLevelSpec } from "vega-lite";

type Vega = typeof import("vega");
type VegaLite = typeof import("vega-lite");

let libraries: Promise<[Vega, VegaLite]> | undefined;
const load = () => {
  libraries ??= Promise.all([import("vega"), import("vega-lite")]);
  return libraries;
};

/** Shared look: the page's font, no chart border, readable axes. */
const CONFIG = {
  font: "system-ui, sans-serif",
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, anchor: "start" },
} as const;

/** One chart as an SVG element, with `title` as its accessible name. */
export async function renderChart(spec: TopLevelSpec & { title: string }): Promise<string> {
  const [vega, vegaLite] = await load();
  const compiled = vegaLite.compile({
    ...spec,
    config: { ...CONFIG, ...spec.config },
  } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    const svg = await view.toSVG();
    // vega's SVG escapes its own text; the title goes in again as the SVG's accessible name
    return svg.replace(
      /^<svg /,
      `<svg role="img" aria-label="${escapeHtml(spec.title)}" data-chart="${escapeHtml(spec.title)}" `,
    );
  } finally {
    view.finalize();
  }
}

/** Text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}

/** Species colours, shared by every report so a class keeps its colour. */
export const CLASS_COLOURS = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2"];
export const VERDICT_COLOURS = { ok: "#2e7d32", warn: "#b26a00", drift: "#c62828" } as const;

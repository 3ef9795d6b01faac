/**
 * The HTML around the reports' charts: one self-contained file, no script, no request. Its
 * Content-Security-Policy forbids every fetch and every script; only inline styles are allowed
 * (vega's SVG and the page's stylesheet).
 */
import { escapeHtml } from "./charts.js";

const STYLE = `
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1180px;padding:0 16px;color:#1a1a1a;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
p.lead{color:#444;margin:0 0 12px}
.charts{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
figure{margin:0}figcaption{font-size:12px;color:#555;max-width:520px}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ddd;padding:4px 10px;text-align:right}th:first-child,td:first-child{text-align:left}
th{background:#f4f4f4}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600;font-size:13px}
.badge.ok{background:#2e7d32}.badge.warn{background:#b26a00}.badge.drift{background:#c62828}
.figures{display:flex;gap:24px;flex-wrap:wrap;margin:8px 0}.figures div{font-size:13px;color:#444}
.figures strong{display:block;font-size:22px;color:#1a1a1a}
`;

export const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/** A table: every cell escaped; `id` lets tests and readers find it. */
export function table(
  id: string,
  head: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const cells = (tag: string, row: readonly string[]) =>
    `<tr>${row.map((cell) => `<${tag}>${escapeHtml(cell)}</${tag}>`).join("")}</tr>`;
  return `<table id="${escapeHtml(id)}"><thead>${cells("th", head)}</thead><tbody>${rows
    .map((row) => cells("td", row))
    .join("")}</tbody></table>`;
}

export const figure = (svg: string, caption?: string) =>
  `<figure>${svg}${caption ? `<figcaption>${escapeHtml(caption)}</figcaption>` : ""}</figure>`;

/** Numbers as the tables print them (tests read them back with the same functions). */
export const fixed = (x: number, digits = 3) => x.toFixed(digits);
export const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

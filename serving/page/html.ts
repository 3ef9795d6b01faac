/**
 * The web page at `GET /`, one self-contained HTML document (inline CSS, script and SVG; nothing
 * loaded from anywhere else), rendered from the training flowers and the API's auth mode, and the
 * headers it is served with: a Content-Security-Policy that allows only its own inline style and
 * script (by their sha256) and requests to its own origin, `cache-control: no-cache` with an
 * ETag (a redeploy is seen at once; an unchanged page costs a 304). Every front door serves the
 * same bytes: the local server and the SageMaker container (server/app.ts), the Lambda
 * (handlers/api.ts). docs/page.md.
 */
import { createHash } from "node:crypto";
import { FEATURE_UNIT, FEATURES } from "../../core/features.js";
import { CLIENT_SCRIPT } from "./client.js";
import { exampleFlowers, trainingFlowers } from "./flowers.js";
import { type PlotScale, plotScale, plotSvg } from "./plot.js";
import { PAGE_STYLE } from "./style.js";

/** How the API is called: as it is (none), with a JWT (jwt), or SigV4-signed (iam). */
export type PageAuth = "none" | "iam" | "jwt";
export const PAGE_AUTHS: readonly PageAuth[] = ["none", "iam", "jwt"];

export interface PageOptions {
  auth: PageAuth;
  /** The API's AWS region, for the signed curl example under iam; a placeholder without. */
  region?: string | undefined;
  /** The model's version when known as the page is served; the page updates it from answers. */
  modelVersion?: string | undefined;
}

export interface Page {
  readonly html: string;
  /** A strong ETag of the HTML, quoted. */
  readonly etag: string;
  /** content-type, content-security-policy, cache-control, etag and the hardening headers. */
  readonly headers: Readonly<Record<string, string>>;
}

/** The auth mode an `API_AUTH` setting names, or undefined when it names none of them. */
export function parseAuth(value: string | undefined): PageAuth | undefined {
  const mode = (value ?? "none").trim().toLowerCase() || "none";
  return PAGE_AUTHS.find((auth) => auth === mode);
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );

const sha256 = (text: string, encoding: "base64" | "base64url") =>
  createHash("sha256").update(text).digest(encoding);

const title = (feature: string) =>
  `${feature[0]?.toUpperCase()}${feature.slice(1).replace("_", " ")}`;

function fields(): string {
  const { ranges } = trainingFlowers();
  const start = exampleFlowers()[0]?.values ?? [];
  return FEATURES.map((f, i) => {
    const [min, max] = ranges[f];
    const name = `${title(f)} (${FEATURE_UNIT})`;
    return `<div class="field"><label for="n-${f}">${name}</label><input type="range" id="r-${f}" aria-label="${name} slider" min="${min}" max="${max}" step="0.1" value="${start[i]}"><input type="number" id="n-${f}" step="0.1" value="${start[i]}" inputmode="decimal" aria-describedby="h-${f}"><span class="hint" id="h-${f}">${min.toFixed(1)}–${max.toFixed(1)} ${FEATURE_UNIT} in the training data</span></div>`;
  }).join("");
}

function examples(): string {
  const buttons = exampleFlowers().map(
    ({ name, values }) =>
      `<button type="button" data-flower="${values.join(",")}" title="${FEATURES.map((f, i) => `${f} ${values[i]}`).join(", ")}">${escapeHtml(name)}</button>`,
  );
  return `<fieldset><legend>Example flowers</legend>${buttons.join("")}</fieldset>`;
}

function authBlock({ auth, region }: PageOptions): string {
  if (auth === "jwt")
    return `<p class="token"><label for="token">Bearer token (JWT)</label> <input id="token" type="password" autocomplete="off" spellcheck="false" size="28"></p><p class="hint">Sent as <code>Authorization: Bearer …</code> with each prediction, to this API only; kept in this page, never stored.</p>`;
  if (auth !== "iam") return "";
  const where = escapeHtml(region || "<region>");
  const body = escapeHtml(
    JSON.stringify(Object.fromEntries(FEATURES.map((f, i) => [f, exampleFlowers()[0]?.values[i]]))),
  );
  return `<div id="iam"><p>This API takes only requests signed with AWS Signature Version 4 (IAM auth), which a web page cannot make. The form still draws your flower on the plots; to get its prediction, sign the request with your AWS credentials, for example with curl:</p><pre><code>curl --aws-sigv4 "aws:amz:${where}:execute-api" \\
  --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \\
  -H "x-amz-security-token: $AWS_SESSION_TOKEN" \\
  -H "content-type: application/json" \\
  -d '<span id="curl-body">${body}</span>' \\
  <span id="curl-url">https://&lt;api-id&gt;.execute-api.${where}.amazonaws.com/predict</span></code></pre></div>`;
}

function result(species: readonly string[]): string {
  const bars = species.map(
    (name, s) =>
      `<div class="prob"><span>${escapeHtml(name)}</span><span class="bar"><span class="s${s}" id="bar-${escapeHtml(name)}"></span></span><span class="pct" id="p-${escapeHtml(name)}">–</span></div>`,
  );
  return `<section id="result" aria-labelledby="result-h"><h2 id="result-h">Prediction</h2><p>Species: <output id="species">—</output></p><div aria-label="vote share per species" role="group">${bars.join("")}</div><p>Looks like an Iris: <output id="is-iris">—</output></p><p id="error" role="alert" hidden></p></section>`;
}

/** The page for one auth mode, region and model version. */
export function renderPage(options: PageOptions): Page {
  const flowers = trainingFlowers();
  const plots: PlotScale[] = [
    plotScale("petals", 2, 3, flowers),
    plotScale("sepals", 0, 1, flowers),
  ];
  const config = JSON.stringify({ auth: options.auth, features: FEATURES, plots });
  const legend = flowers.species
    .map((name, s) => `<span class="s${s}"></span>${escapeHtml(name)}`)
    .join("");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Iris species predictor</title><link rel="icon" href="data:,"><style>${PAGE_STYLE}</style></head>
<body><header><h1>Iris species predictor</h1><p>Set the four measurements of a flower, or click an example: the Random Forest answers as they change. Model version: <output id="version">${escapeHtml(options.modelVersion ?? "—")}</output></p></header>
<main><section aria-labelledby="flower-h"><h2 id="flower-h">Your flower</h2>${authBlock(options)}${fields()}${examples()}</section>
${result(flowers.species)}
<div class="plots">${plots.map((p) => `<figure>${plotSvg(p, flowers)}</figure>`).join("")}<p class="legend">Training flowers:${legend}; yours: the black cross (dashed when off the plot).</p></div></main>
<footer><p>The API's description: <a href="openapi.json">its OpenAPI 3.1 document</a>.</p></footer>
<script type="application/json" id="config">${config.replace(/</g, "\\u003c")}</script>
<script>${CLIENT_SCRIPT}</script></body></html>
`;
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${sha256(CLIENT_SCRIPT, "base64")}'`,
    `style-src 'sha256-${sha256(PAGE_STYLE, "base64")}'`,
    "connect-src 'self'",
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  const etag = `"${sha256(html, "base64url").slice(0, 27)}"`;
  return {
    html,
    etag,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": csp,
      "cache-control": "no-cache",
      etag,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    },
  };
}

const rendered = new Map<string, Page>();

/** renderPage, remembered: a front door renders its page once, on the first `GET /`. */
export function pageFor(options: PageOptions): Page {
  const key = `${options.auth}\0${options.region ?? ""}\0${options.modelVersion ?? ""}`;
  let page = rendered.get(key);
  if (page === undefined) {
    page = renderPage(options);
    // a bound: a process serves one or two versions, never many
    if (rendered.size >= 16) rendered.clear();
    rendered.set(key, page);
  }
  return page;
}

/** Whether an `If-None-Match` header names `etag` (or `*`): the answer is then a 304. */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""))
    .some((tag) => tag === etag || tag === "*");
}

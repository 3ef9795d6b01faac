/**
 * The page's script, as the text the page inlines (its sha256 is in the Content-Security-Policy).
 * A string, not a function's source: the Lambda is one esbuild bundle and tsx rewrites functions
 * (its `__name` helper) into code a browser cannot run alone, whereas a string is bundled as is.
 * Plain ES2020 for any current browser, no framework, no backticks (this is a template literal).
 *
 * What it does: keeps each slider and number field in step; draws the flower on the plots as it
 * changes; asks `POST predict` (relative: it works at a stage-less URL and under a stage) for
 * the latest values, one request at a time, and shows the answer, or the API's own error message
 * when the API refuses the input (the range checks are the API's, not repeated here). Under
 * `jwt` it sends the token given in the page; under `iam` it calls nothing (a browser cannot
 * sign SigV4) and keeps the curl example in step with the inputs instead.
 */
export const CLIENT_SCRIPT = String.raw`(function () {
"use strict";
var $ = function (id) { return document.getElementById(id); };
var config = JSON.parse($("config").textContent);
var features = config.features;
var timeoutMs = 10000;
var busy = false;
var again = false;

function values() {
  return features.map(function (f) {
    var text = $("n-" + f).value;
    return text === "" ? null : Number(text);
  });
}

function place(v) {
  config.plots.forEach(function (p) {
    var marker = $(p.id + "-you");
    var x = v[p.x], y = v[p.y];
    if (x === null || y === null || !isFinite(x) || !isFinite(y)) {
      marker.setAttribute("visibility", "hidden");
      return;
    }
    var a = p.area;
    var px = a[0] + ((x - p.xDomain[0]) / (p.xDomain[1] - p.xDomain[0])) * a[2];
    var py = a[1] + a[3] - ((y - p.yDomain[0]) / (p.yDomain[1] - p.yDomain[0])) * a[3];
    var cx = Math.min(Math.max(px, a[0]), a[0] + a[2]);
    var cy = Math.min(Math.max(py, a[1]), a[1] + a[3]);
    marker.setAttribute("transform", "translate(" + cx + " " + cy + ")");
    marker.setAttribute("class", cx === px && cy === py ? "you" : "you off-plot");
    marker.setAttribute("visibility", "visible");
  });
}

function body(v) {
  var flower = {};
  features.forEach(function (f, i) { flower[f] = v[i]; });
  return JSON.stringify(flower);
}

function showVersion(version) {
  if (version) $("version").textContent = version;
}

function showError(message) {
  var box = $("error");
  box.textContent = message;
  box.hidden = message === "";
  $("result").classList.toggle("stale", message !== "");
  if (message !== "") $("species").textContent = "\u2014";
}

function showPrediction(answer) {
  showError("");
  $("species").textContent = answer.species;
  $("is-iris").textContent = answer.is_iris ? "yes" : "no";
  Object.keys(answer.probabilities).forEach(function (name) {
    var share = answer.probabilities[name];
    var fill = $("bar-" + name);
    if (!fill) return;
    fill.style.width = (share * 100).toFixed(1) + "%";
    $("p-" + name).textContent = Math.round(share * 100) + "%";
  });
  showVersion(answer.model_version);
}

function answered(status, text) {
  var answer = null;
  try { answer = JSON.parse(text); } catch (e) { answer = null; }
  if (status === 200 && answer && typeof answer.species === "string") {
    showPrediction(answer);
    return;
  }
  // the API's one error shape; API Gateway's own refusals (401, 403, 429) say {"message"}
  var message = answer && answer.error && answer.error.message
    ? answer.error.message + " (" + answer.error.code + ")"
    : answer && answer.message ? answer.message : "the API answered " + status;
  showError(message);
}

function predict() {
  if (busy) { again = true; return; }
  busy = true;
  again = false;
  var headers = { "content-type": "application/json" };
  if (config.auth === "jwt") headers.authorization = "Bearer " + $("token").value.trim();
  fetch("predict", {
    method: "POST",
    headers: headers,
    body: body(values()),
    credentials: "same-origin",
    signal: AbortSignal.timeout(timeoutMs)
  }).then(function (res) {
    showVersion(res.headers.get("x-model-version"));
    return res.text().then(function (text) { answered(res.status, text); });
  }).catch(function (e) {
    showError("the API did not answer: " + e.message);
  }).finally(function () {
    busy = false;
    if (again) predict();
  });
}

function curl(v) {
  var box = $("curl-url");
  if (!box) return;
  box.textContent = new URL("predict", location.href).href;
  $("curl-body").textContent = body(v);
}

function changed() {
  var v = values();
  place(v);
  curl(v);
  if (config.auth === "iam") return;
  if (config.auth === "jwt" && $("token").value.trim() === "") {
    showError("paste a token (JWT) above to get predictions");
    return;
  }
  predict();
}

features.forEach(function (f) {
  var slider = $("r-" + f), field = $("n-" + f);
  slider.addEventListener("input", function () { field.value = slider.value; changed(); });
  field.addEventListener("input", function () {
    if (field.value !== "") slider.value = field.value;
    changed();
  });
});

document.querySelectorAll("[data-flower]").forEach(function (button) {
  button.addEventListener("click", function () {
    var v = button.getAttribute("data-flower").split(",");
    features.forEach(function (f, i) { $("n-" + f).value = v[i]; $("r-" + f).value = v[i]; });
    changed();
  });
});

var token = $("token");
if (token) token.addEventListener("input", changed);
changed();
})();
`;

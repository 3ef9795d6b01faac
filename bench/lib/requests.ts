/** The serving benchmark's requests: the measured one, and the soak's mix of good and bad. */
import type { HttpRequestSpec } from "./loadgen.js";

/** The benchmark's request: one row as JSON, the form SageMaker clients send most. */
export const ROW_BODY = JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] });
export const ROW_REQUEST: HttpRequestSpec = {
  name: "json row",
  method: "POST",
  path: "/invocations",
  headers: { "Content-Type": "application/json" },
  body: ROW_BODY,
  expect: 200,
};

/** The soak's cycle: good and bad requests, each with the status it must get. */
export const SOAK_REQUESTS: HttpRequestSpec[] = [
  ROW_REQUEST,
  {
    name: "csv, 2 rows",
    method: "POST",
    path: "/invocations",
    headers: { "Content-Type": "text/csv" },
    body: "5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n",
    expect: 200,
  },
  {
    name: "json lines, 2 rows",
    method: "POST",
    path: "/invocations",
    headers: { "Content-Type": "application/jsonlines" },
    body: '{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}\n[6.7,3.0,5.2,2.3]\n',
    expect: 200,
  },
  {
    name: "csv answer",
    method: "POST",
    path: "/invocations",
    headers: { "Content-Type": "application/json", Accept: "text/csv" },
    body: ROW_BODY,
    expect: 200,
  },
  {
    name: "bad json",
    method: "POST",
    path: "/invocations",
    headers: { "Content-Type": "application/json" },
    body: '{"instances": [[5.1, 3.5,',
    expect: 400,
  },
  {
    name: "negative value",
    method: "POST",
    path: "/invocations",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ instances: [[5.1, -3.5, 1.4, 0.2]] }),
    expect: 400,
  },
  {
    name: "empty body",
    method: "POST",
    path: "/invocations",
    headers: { "Content-Type": "application/json" },
    body: "",
    expect: 400,
  },
  {
    name: "csv, 3 columns",
    method: "POST",
    path: "/invocations",
    headers: { "Content-Type": "text/csv" },
    body: "5.1,3.5,1.4\n",
    expect: 400,
  },
  {
    name: "wrong content type",
    method: "POST",
    path: "/invocations",
    headers: { "Content-Type": "text/plain" },
    body: ROW_BODY,
    expect: 415,
  },
  {
    name: "not acceptable",
    method: "POST",
    path: "/invocations",
    headers: { "Content-Type": "application/json", Accept: "image/png" },
    body: ROW_BODY,
    expect: 406,
  },
  { name: "unknown route", method: "POST", path: "/nope", headers: {}, body: "{}", expect: 404 },
  { name: "wrong method", method: "GET", path: "/invocations", headers: {}, expect: 405 },
  {
    name: "predict API",
    method: "POST",
    path: "/predict",
    headers: { "Content-Type": "application/json" },
    body: '{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}',
    expect: 200,
  },
  { name: "ping", method: "GET", path: "/ping", headers: {}, expect: 200 },
  { name: "health", method: "GET", path: "/health", headers: {}, expect: 200 },
];

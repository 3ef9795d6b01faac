/**
 * The ceiling: a bare node:http server that reads the whole request body and answers a fixed
 * JSON (the same bytes our server answers for the benchmark's request), so the difference to our
 * server is what fastify, parsing, prediction and serialisation cost.
 *
 *   node bench/servers/ceiling.mjs PORT RESPONSE_FILE
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

const [port, responseFile] = process.argv.slice(2);
const answer = readFileSync(responseFile);
const headers = {
  "content-type": "application/json; charset=utf-8",
  "content-length": String(answer.length),
};

const server = createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    Buffer.concat(chunks); // read it, as a real server would
    if (request.method === "GET" && request.url === "/ping") {
      response.writeHead(200).end();
      return;
    }
    response.writeHead(200, headers).end(answer);
  });
});
server.listen(Number(port), "127.0.0.1");
process.once("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});

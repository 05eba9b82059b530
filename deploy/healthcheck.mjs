// Container health probe, run by node itself (slim images have no curl):
//   node healthcheck.mjs [path]      default path: /health/live
// Exits 0 when the gateway answers 2xx within the timeout, 1 otherwise (Docker's convention).
// It asks the gateway on its own HTTP_PORT, at HTTP_HOST unless that is a wildcard address.
import { request } from 'node:http';

const TIMEOUT_MS = 3000;
const WILDCARDS = new Set(['0.0.0.0', '::', '']);

const configuredHost = process.env.HTTP_HOST ?? '';
const host = WILDCARDS.has(configuredHost) ? '127.0.0.1' : configuredHost;
const port = Number(process.env.HTTP_PORT || 3000);
const path = process.argv[2] ?? '/health/live';

function fail(reason) {
  console.error(`health check ${path} failed: ${reason}`);
  process.exit(1);
}

const probe = request({ host, port, path, method: 'GET', timeout: TIMEOUT_MS }, (response) => {
  response.resume();
  const status = response.statusCode ?? 0;
  if (status >= 200 && status < 300) process.exit(0);
  fail(`HTTP ${status}`);
});
probe.on('timeout', () => probe.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
probe.on('error', (error) => fail(error.message));
probe.end();

// The load client of bench/ws_chat.py: many graphql-transport-ws sockets in one Node process.
//
//   node bench/ws_chat_client.mjs --urls ws://127.0.0.1:P1/graphql/,ws://127.0.0.1:P2/graphql/
//        --tokens FILE --event ID --mode chat|idle [--subscribe] [--opening 50]
//
// Opens one socket per token of FILE (one bearer token per line), taking the URLs in turn, at
// most --opening handshakes at a time, and sends `connection_init` with the token. In `chat`
// mode each socket then subscribes to the event's chatMessages; in `idle` mode it stays
// acknowledged and silent (with --subscribe, it subscribes as well and hears nothing).
//
// The bench's messages have bodies "<phase>:<sent at, ms>", the moment the sender started its
// request on the kernel's monotonic clock (CLOCK_MONOTONIC: Python's time.monotonic_ns()).
// For each message heard, the client takes the time it arrived on the same clock
// (process.hrtime.bigint(), libuv's CLOCK_MONOTONIC) and keeps, per phase: deliveries,
// latencies and the first and last arrival. Not the wall clock: on these virtual machines it
// is slewed by milliseconds a second, and Node's performance.timeOrigin + performance.now()
// drifts from Python's time.time(), by more than the latency over a run of minutes. Per
// socket it checks the room's sequence numbers: one that is not the last plus one is a gap
// (or a repeat), counted.
//
// It speaks on stdout, one JSON object per line: {"ready": n, "failed": n} once every socket
// is acknowledged (and subscribed), then the answer to each command read on stdin:
//
//   {"report": "<phase>"}   -> {"phase", "deliveries", "latency_ms": {p50, p95, p99, max},
//                               "first_at", "last_at", "gaps", "repeats", "errors", "closed"}
//   {"close": true}         -> closes every socket and exits
//
// The `ws` package comes from the end-to-end tests' client (tests/e2e/node, set up by
// `make install`).

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const require = createRequire(new URL('../tests/e2e/node/package.json', import.meta.url));
const WebSocket = require('ws');

const { values: options } = parseArgs({
  options: {
    urls: { type: 'string' },
    tokens: { type: 'string' },
    event: { type: 'string' },
    mode: { type: 'string', default: 'chat' },
    subscribe: { type: 'boolean', default: false },
    opening: { type: 'string', default: '50' },
  },
});

const urls = options.urls.split(',');
const tokens = readFileSync(options.tokens, 'utf8').split('\n').filter(Boolean);
const subscribes = options.mode === 'chat' || options.subscribe;

// What a chat app's message list shows; nothing viewer-specific, so the server renders each
// message once for all of these subscribers.
const CHAT = `subscription Chat($event: ID!) {
  chatMessages(event: $event) {
    kind
    cursor
    message { id seq body createdAt author { id displayName } }
  }
}`;

// Milliseconds on CLOCK_MONOTONIC, as the sender's stamps (exact in a double for centuries).
const now = () => Number(process.hrtime.bigint()) / 1e6;
const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

const phases = new Map();
const totals = { errors: 0, closed: 0, gaps: 0, repeats: 0 };

function phase(name) {
  let entry = phases.get(name);
  if (!entry) {
    entry = { deliveries: 0, latencies: [], first: Infinity, last: 0, messages: new Map() };
    phases.set(name, entry);
  }
  return entry;
}

function heard(socket, result) {
  const at = now();
  const message = result?.data?.chatMessages?.message;
  if (!message) {
    totals.errors += 1;
    return;
  }
  if (socket.lastSeq !== null) {
    if (message.seq > socket.lastSeq + 1) totals.gaps += message.seq - socket.lastSeq - 1;
    if (message.seq <= socket.lastSeq) totals.repeats += 1;
  }
  socket.lastSeq = Math.max(socket.lastSeq ?? 0, message.seq);
  const [name, sent] = message.body.split(':');
  const entry = phase(name);
  entry.deliveries += 1;
  entry.latencies.push(at - Number(sent));
  if (at < entry.first) entry.first = at;
  if (at > entry.last) entry.last = at;
  // Per message: its first and last arrival after the send, over all sockets.
  const latency = at - Number(sent);
  const known = entry.messages.get(message.seq);
  if (!known) entry.messages.set(message.seq, { seq: message.seq, first: latency, last: latency });
  else known.last = Math.max(known.last, latency);
}

function open(url, token) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
    const socket = { ws, lastSeq: null, ready: false };
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'connection_init', payload: { token } }));
    });
    ws.on('message', (data) => {
      const frame = JSON.parse(data);
      switch (frame.type) {
        case 'connection_ack':
          if (subscribes) {
            ws.send(JSON.stringify({
              id: '1', type: 'subscribe',
              payload: { query: CHAT, variables: { event: options.event } },
            }));
          }
          socket.ready = true;
          resolve(socket);
          break;
        case 'next':
          heard(socket, frame.payload);
          break;
        case 'ping':
          ws.send('{"type":"pong"}');
          break;
        case 'error':
        case 'complete':
          totals.errors += 1;
          break;
        default:
          break;
      }
    });
    ws.on('close', () => {
      if (socket.ready) totals.closed += 1;
      resolve(socket);
    });
    ws.on('error', () => {});
  });
}

function percentile(sorted, fraction) {
  if (!sorted.length) return null;
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, index)] * 100) / 100;
}

function median(values) {
  if (!values.length) return null;
  const sorted = Float64Array.from(values).sort();
  return Math.round(sorted[Math.floor(sorted.length / 2)] * 100) / 100;
}

function report(name) {
  const entry = phase(name);
  const sorted = Float64Array.from(entry.latencies).sort();
  return {
    phase: name,
    deliveries: entry.deliveries,
    latency_ms: {
      p50: percentile(sorted, 0.5),
      p95: percentile(sorted, 0.95),
      p99: percentile(sorted, 0.99),
      max: percentile(sorted, 1),
    },
    // The slowest messages: from the send to the first and to the last socket hearing it.
    slowest: [...entry.messages.values()].sort((a, b) => b.last - a.last).slice(0, 5)
      .map(({ seq, first, last }) => ({ seq, first: Math.round(first), last: Math.round(last) })),
    spread_ms_median: median([...entry.messages.values()].map(({ first, last }) => last - first)),
    first_at: entry.deliveries ? entry.first : null,
    last_at: entry.deliveries ? entry.last : null,
    ...totals,
  };
}

const sockets = [];
const opening = Number(options.opening);
let next = 0;
async function opener() {
  while (next < tokens.length) {
    const index = next++;
    sockets.push(await open(urls[index % urls.length], tokens[index]));
  }
}
await Promise.all(Array.from({ length: opening }, opener));
print({ ready: sockets.filter((s) => s.ready && s.ws.readyState === WebSocket.OPEN).length,
        failed: sockets.filter((s) => !s.ready || s.ws.readyState !== WebSocket.OPEN).length });

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line);
  if (command.report !== undefined) print(report(command.report));
  if (command.close) break;
}
for (const { ws } of sockets) ws.close(1000);
process.exit(0);

// The graphql-ws reference client, for the end-to-end tests (tests/e2e/clients.py drives it).
//
//   node client.mjs --url ws://127.0.0.1:8000/graphql/ [--token TOKEN] [--keep-alive MS]
//                   [--query DOCUMENT [--variables JSON] [--id NAME]]
//                   [--refresh-token TOKEN --http-url http://127.0.0.1:8000/graphql/]
//                   [--fallback-url ws://127.0.0.1:8001/graphql/]
//
// Connects at once, sending the token in connectionParams as {"authorization": "Bearer …"},
// and never reconnects: a closed socket is the end, so the tests see every close. Runs the
// operation given on the command line, then one per line of stdin:
//
//   {"subscribe": "<name>", "query": "<document>", "variables": {…}}
//   {"complete": "<name>"}          stops that operation
//   {"close": true}                 stops every operation and closes the socket (1000)
//
// At the end of stdin it closes the socket once its operations have completed, so that
//   node client.mjs --url … --query 'mutation { … }' </dev/null
// prints the result and exits. Everything it hears is printed as one JSON object per line on
// stdout:
//
//   {"event": "connected"} | {"event": "closed", "code": 4403, "reason": ""}
//   {"event": "ping" | "pong", "received": true | false, "payload": …}
//   {"event": "pong-timeout"}        no pong to our ping in time: the socket is terminated
//   {"id": "<name>", "next": {"data": …, "errors": […]}}   each result of an operation
//   {"id": "<name>", "errors": […]}  the server's `error` message: the operation ended
//   {"id": "<name>", "complete": true}
//   {"id": "<name>", "failed": "<why>"}   the socket closed under the operation
//
// With --keep-alive the client pings the server every MS milliseconds (graphql-ws's keepAlive)
// and terminates the socket when a pong does not follow within twice that, the timeout that
// graphql-ws's documentation adds on the ping and pong events.
//
// With --refresh-token the client behaves as an app does when the server closes its socket
// with 4403 (the token expired, say): graphql-ws reconnects, and its connectionParams function
// first exchanges the refresh token for a new pair at --http-url (`tokenRefresh`), printing
//   {"event": "refreshed"}
// then sends the new access token; the running subscriptions are subscribed again. Every close
// is still printed; the client ends when stdin does.
//
// With --fallback-url the client reconnects as an app behind a load balancer does when the
// server process it was on stops (1001): to another process, here the one at --fallback-url,
// its subscriptions subscribed again there.

import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const { values: options } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    'keep-alive': { type: 'string', default: '0' },
    query: { type: 'string' },
    variables: { type: 'string' },
    id: { type: 'string', default: 'main' },
    'refresh-token': { type: 'string' },
    'http-url': { type: 'string' },
    'fallback-url': { type: 'string' },
  },
});
if (!options.url) {
  console.error('--url is required');
  process.exit(2);
}

function print(line) {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function describe(failure) {
  if (failure && typeof failure.code === 'number') {
    return `closed ${failure.code} ${failure.reason ?? ''}`.trim();
  }
  return String(failure?.message ?? failure);
}

const keepAlive = Number(options['keep-alive']);
let pongTimer;

const TOKEN_REFRESH = `mutation Refresh($token: String!) {
  tokenRefresh(refreshToken: $token) { accessToken refreshToken errors { code message } }
}`;
const reconnects = Boolean(options['refresh-token'] || options['fallback-url']);
let accessToken = options.token;
let refreshToken = options['refresh-token'];
let connections = 0;

// What an app's connectionParams does: the token it holds, and a fresh one for every
// connection after the first.
async function connectionParams() {
  connections += 1;
  if (connections > 1 && refreshToken) {
    const response = await fetch(options['http-url'], {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: TOKEN_REFRESH, variables: { token: refreshToken } }),
    });
    const { tokenRefresh } = (await response.json()).data;
    if (tokenRefresh.errors.length) throw new Error(JSON.stringify(tokenRefresh.errors));
    ({ accessToken, refreshToken } = tokenRefresh);
    print({ event: 'refreshed' });
  }
  return accessToken ? { authorization: `Bearer ${accessToken}` } : undefined;
}

let sockets = 0;
const client = createClient({
  // The first socket goes to --url, every later one to --fallback-url when there is one.
  url: () => {
    sockets += 1;
    return sockets > 1 && options['fallback-url'] ? options['fallback-url'] : options.url;
  },
  webSocketImpl: WebSocket,
  connectionParams,
  lazy: false,
  retryAttempts: reconnects ? 3 : 0,
  // At once: a test waits for nothing else.
  retryWait: async () => {},
  keepAlive,
  // A closed socket is reported (the `closed` event), not printed to stderr as an error.
  onNonLazyError: () => {},
  on: {
    connected: () => print({ event: 'connected' }),
    closed: (event) => {
      clearTimeout(pongTimer);
      print({ event: 'closed', code: event?.code ?? null, reason: event?.reason ?? '' });
      // Without reconnection nothing more can happen. Leave once stdout is flushed.
      if (!reconnects) process.stdout.write('', () => process.exit(0));
    },
    ping: (received, payload) => {
      print({ event: 'ping', received, payload: payload ?? null });
      if (!received && keepAlive > 0) {
        pongTimer = setTimeout(() => {
          print({ event: 'pong-timeout' });
          client.terminate();
        }, keepAlive * 2);
      }
    },
    pong: (received, payload) => {
      print({ event: 'pong', received, payload: payload ?? null });
      if (received) clearTimeout(pongTimer);
    },
  },
});

const running = new Map();
let inputEnded = false;

function close() {
  for (const stop of running.values()) stop();
  client.dispose();
  if (reconnects) process.stdout.write('', () => process.exit(0));
}

function ended(name, line) {
  running.delete(name);
  print(line);
  if (inputEnded && running.size === 0) close();
}

function start(name, query, variables) {
  const stop = client.subscribe(
    { query, variables: variables ?? undefined },
    {
      next: (result) => print({ id: name, next: result }),
      error: (failure) =>
        ended(
          name,
          Array.isArray(failure) ? { id: name, errors: failure } : { id: name, failed: describe(failure) },
        ),
      complete: () => ended(name, { id: name, complete: true }),
    },
  );
  running.set(name, stop);
}

if (options.query) {
  start(options.id, options.query, options.variables ? JSON.parse(options.variables) : undefined);
}

const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  if (!line.trim()) return;
  const command = JSON.parse(line);
  if (command.subscribe) {
    start(command.subscribe, command.query, command.variables);
  } else if (command.complete) {
    running.get(command.complete)?.();
  } else if (command.close) {
    close();
  }
});
commands.on('close', () => {
  inputEnded = true;
  if (running.size === 0) close();
});

// An app's live chat on the graphql-ws reference client, for the outage tests
// (tests/e2e/test_outages.py):
//
//   node chat_app.mjs --url ws://127.0.0.1:8000/graphql/ --token TOKEN --event EVENT_ID
//                     --after CURSOR
//
// Subscribes to chatMessages(event, after) and, unlike client.mjs, lets graphql-ws reconnect
// as an app does: when the socket closes with a code graphql-ws does not take as fatal, it
// connects again and subscribes again with the same payload. As an app does, the payload's
// `after` is kept at the cursor of the last message received, so the subscription resumes
// there. graphql-ws's own retry policy decides; only its waits are shortened to test speed.
// Prints one JSON object per line on stdout:
//
//   {"event": "connected", "retry": false | true}
//   {"event": "closed", "code": 4503, "reason": "…"}
//   {"message": {"kind": "CREATED", "seq": 7, "body": "…", "cursor": "…"}}
//   {"event": "failed", "error": "…"}    graphql-ws gave up: the subscription ended with an error
//   {"event": "completed"}                 the server completed the subscription
//
// Ends when stdin ends.

import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const { values: options } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    event: { type: 'string' },
    after: { type: 'string' },
  },
});

const CHAT_MESSAGES = `
subscription Chat($event: ID!, $after: String) {
  chatMessages(event: $event, after: $after) { kind cursor message { seq body } }
}`;

function print(line) {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const client = createClient({
  url: options.url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${options.token}` },
  // graphql-ws's default is a second and more, doubling with each failed try: the same
  // policy, faster.
  retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** retries, 500))),
  retryAttempts: 20,
  on: {
    connected: (socket, payload, wasRetry) => print({ event: 'connected', retry: Boolean(wasRetry) }),
    closed: (event) => print({ event: 'closed', code: event?.code ?? null, reason: event?.reason ?? '' }),
  },
});

// graphql-ws sends this object again on each new subscribe: the app moves `after` along.
const payload = { query: CHAT_MESSAGES, variables: { event: options.event, after: options.after } };

const stop = client.subscribe(payload, {
  next: (result) => {
    if (result.errors) {
      print({ event: 'failed', error: JSON.stringify(result.errors) });
      return;
    }
    const delivery = result.data.chatMessages;
    if (delivery.kind === 'CREATED') payload.variables.after = delivery.cursor;
    print({ message: { kind: delivery.kind, seq: delivery.message.seq, body: delivery.message.body, cursor: delivery.cursor } });
  },
  error: (failure) => print({ event: 'failed', error: String(failure?.code ?? failure?.message ?? JSON.stringify(failure)) }),
  complete: () => print({ event: 'completed' }),
});

createInterface({ input: process.stdin }).on('close', () => {
  stop();
  client.dispose();
  process.stdout.write('', () => process.exit(0));
});

/**
 * The order-entry bench's baseline: a raw uWS "hello world" from the same package as the gateway
 * (@trufflesuite/uws-js-unofficial), in its own process. It reads each request's body and answers a fixed
 * JSON document, with none of the engine's work (no auth, schema, ring hop, matching or journal); the
 * token and book routes answer just enough for `octopus loadtest orders` to start. Prints `listening <port>`.
 *
 *   node --import tsx bench/workers/uws-hello.ts
 */
import uws from '@trufflesuite/uws-js-unofficial';

const kOrderReply = JSON.stringify({ id: '1', status: 'expired', filled_qty: 0 });

const app = uws.App();
app.post('/api/v1/auth/token', (res) => {
  res.onAborted(() => undefined);
  res.onData((_chunk, isLast) => {
    if (isLast) res.cork(() => res.writeStatus('200 OK').writeHeader('content-type', 'application/json').end(JSON.stringify({ access_token: 'hello' })));
  });
});
app.get('/api/v1/market/:symbol/book', (res) => {
  res.writeHeader('content-type', 'application/json').end(JSON.stringify({ bids: [], asks: [] }));
});
app.post('/*', (res) => {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  res.onData((_chunk, isLast) => {
    if (isLast && !aborted) res.cork(() => res.writeStatus('201 Created').writeHeader('content-type', 'application/json').end(kOrderReply));
  });
});
app.listen('127.0.0.1', 0, (token) => {
  if (token === false) throw new Error('expected to listen on a free port, was refused');
  process.stdout.write(`listening ${uws.us_socket_local_port(token as never)}\n`);
  process.once('SIGTERM', () => {
    uws.us_listen_socket_close(token);
    process.exit(0);
  });
});

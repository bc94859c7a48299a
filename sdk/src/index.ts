/**
 * @octopus/sdk: a TypeScript client for the Octopus engine.
 *
 *   const client = createOctopusClient({ baseUrl: 'http://127.0.0.1:8080' });
 *   await client.login('alice', 'password');
 *   const order = unwrap(await client.POST('/api/v1/orders', { body: { symbol: 'TCHA', side: 'buy', type: 'limit', qty: '1', limit_price: '182.00' } }));
 *   const stream = new OctopusStream({ url: 'ws://127.0.0.1:8080/ws', onFrame: console.log });
 *   stream.subscribe(['trades:TCHA', 'book:TCHA']);
 */
export { createOctopusClient, unwrap, OctopusApiError, type ClientOptions, type OctopusClient } from './rest.js';
export { OctopusStream, type Frame, type Order, type Position, type SocketFactory, type StreamEvents, type StreamOptions, type Trade } from './stream.js';
export { signRequest, signedHeaders, type ApiKey } from './signing.js';
export type { components, operations, paths } from './api-types.js';

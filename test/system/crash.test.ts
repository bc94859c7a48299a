/**
 * Durability under SIGKILL: a stream of orders from several concurrent clients, the engine process killed
 * mid-stream, restarted on the same data directory. Every acknowledged order must be there, unchanged;
 * retrying the unacknowledged ones (as a client would, with the same client_order_id) never creates a
 * second order.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ApiClient, addUsers } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';

const engineArgs = ['--feed-rate', '0', '--symbols', 'ACME', '--rate-limit', '100000', '--address-rate-limit', '100000', '--max-order-rate', '100000'];
let engine: EngineProcess | null = null;

afterAll(async () => {
  await engine?.stop('SIGTERM');
});

interface Sent {
  clientOrderId: string;
  account: 'buyer' | 'seller';
  body: Record<string, unknown>;
}

describe('crash safety of acknowledged orders', () => {
  it('keeps every acknowledged order through a SIGKILL, and retries never duplicate', async () => {
    const dataDir = temporaryDataDir();
    addUsers(dataDir, [
      ['buyer', 'trader', 'buyer-password'],
      ['seller', 'trader', 'seller-password'],
    ]);
    engine = await startEngineProcess(engineArgs, 60_000, dataDir);
    const base = `http://127.0.0.1:${engine.port}`;
    const clients = { buyer: await new ApiClient(base).login('buyer', 'buyer-password'), seller: await new ApiClient(base).login('seller', 'seller-password') };

    const sent: Sent[] = [];
    const acknowledged = new Map<string, { id: string; body: Record<string, unknown>; account: 'buyer' | 'seller' }>();
    let killed = false;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (!killed) {
        const index = next++;
        const account = index % 2 === 0 ? 'buyer' : 'seller';
        // Prices around 100 so that about half the orders trade and the rest rest in the book.
        const price = (10_000 + (index % 7) - 3) / 100;
        const body = { symbol: 'ACME', side: account === 'buyer' ? 'buy' : 'sell', type: 'limit', qty: 1 + (index % 3), limit_price: price, client_order_id: `c-${index}` };
        sent.push({ clientOrderId: body.client_order_id, account, body });
        try {
          const response = await clients[account].call('POST', '/api/v1/orders', body);
          if (response.status === 201) acknowledged.set(body.client_order_id, { id: response.json.id, body, account });
          else if (!killed) throw new Error(`unexpected ${response.status}: ${JSON.stringify(response.json)}`);
        } catch (error) {
          if (!killed) throw error;
        }
        if (acknowledged.size >= 400 && !killed) {
          killed = true;
          engine!.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, lane));
    await new Promise((resolve) => (engine!.child.exitCode !== null || engine!.child.signalCode !== null ? resolve(null) : engine!.child.once('exit', resolve)));
    expect(engine.child.signalCode).toBe('SIGKILL');

    engine = await startEngineProcess(engineArgs, 60_000, dataDir);
    const restartedBase = `http://127.0.0.1:${engine.port}`;
    const after = { buyer: await new ApiClient(restartedBase).login('buyer', 'buyer-password'), seller: await new ApiClient(restartedBase).login('seller', 'seller-password') };
    const stored = new Map<string, any>();
    for (const account of ['buyer', 'seller'] as const) {
      const all = await after[account].call('GET', '/api/v1/orders?status=all&limit=500');
      for (const order of all.json.orders) {
        expect(stored.has(order.client_order_id), `duplicate ${order.client_order_id}`).toBe(false);
        stored.set(order.client_order_id, order);
      }
    }
    for (const [clientOrderId, { id, body, account }] of acknowledged) {
      // The list endpoint returns at most 500; fetch by client id so that nothing hides behind the limit.
      const order = stored.get(clientOrderId) ?? (await after[account].call('GET', `/api/v1/orders:by_client_id/${clientOrderId}`)).json;
      expect(order?.id, `acknowledged ${clientOrderId}`).toBe(id);
      expect(order).toMatchObject({ symbol: 'ACME', side: body.side, qty: String(body.qty), limit_price: Number(body.limit_price).toFixed(2) });
      expect(['new', 'partially_filled', 'filled']).toContain(order.status);
      expect(Number(order.filled_qty)).toBeLessThanOrEqual(Number(order.qty));
    }
    // Retrying every order that was sent: acknowledged ones come back as they are (200); the rest are
    // either already there (200) or created once (201); none twice.
    const retriedIds = new Map<string, string>();
    for (const entry of sent) {
      const response = await after[entry.account].call('POST', '/api/v1/orders', entry.body);
      expect([200, 201]).toContain(response.status);
      if (acknowledged.has(entry.clientOrderId)) {
        expect(response.status).toBe(200);
        expect(response.json.id).toBe(acknowledged.get(entry.clientOrderId)!.id);
      }
      retriedIds.set(entry.clientOrderId, response.json.id);
      const again = await after[entry.account].call('POST', '/api/v1/orders', entry.body);
      expect(again).toMatchObject({ status: 200, json: { id: response.json.id } });
    }
    expect(new Set(retriedIds.values()).size).toBe(sent.length);
  });
});

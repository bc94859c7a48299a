/**
 * Soak: five rounds of SIGKILL while 8 concurrent clients post orders, with the default simulated feed at
 * 5x its default rate (so the books move under the orders). After every restart, every acknowledged order
 * is there with a status its acknowledgement allows (a terminal status never changes; an open order may
 * since have traded, been canceled or expired), no client_order_id appears twice, and `octopus audit
 * verify` proves both chains intact.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ApiClient, addUsers } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';
import { octopus } from '../security/support.js';

const kRounds = 5;
const kClients = 8;
const kAcksPerRound = 160;
const kArgs = ['--feed-rate', '1000', '--rate-limit', '100000', '--address-rate-limit', '100000', '--max-order-rate', '100000'];
/** Symbols of three sectors, with their grids (tick, lot): orders are placed on them. */
const kSymbols: Record<string, [number, number]> = { TCHA: [0.01, 1], TCHB: [0.01, 1], FINA: [0.01, 10], ENRA: [0.05, 1] };
const kSymbolNames = Object.keys(kSymbols);
const kTerminal = new Set(['filled', 'canceled', 'expired', 'rejected']);

let engine: EngineProcess | null = null;

afterAll(() => {
  if (engine !== null && engine.child.exitCode === null) engine.child.kill('SIGKILL');
});

interface Ack {
  account: string;
  clientOrderId: string;
  id: string;
  status: string;
  filledQty: number;
}

/** One login at a time: the gateway limits concurrent logins per address (a brute-force defence). */
async function loginAll(base: string, accounts: readonly string[]): Promise<ApiClient[]> {
  const clients: ApiClient[] = [];
  for (const account of accounts) clients.push(await new ApiClient(base).login(account, `${account}-password`));
  return clients;
}

describe('soak: SIGKILL under concurrent order flow', () => {
  it(`keeps every acknowledged order over ${kRounds} kills, never duplicates one, and the chains verify`, async () => {
    const dataDir = temporaryDataDir();
    const accounts = Array.from({ length: kClients }, (_, index) => `soak${index}`);
    addUsers(dataDir, accounts.map((account) => [account, 'trader', `${account}-password`] as [string, string, string]));
    const acks: Ack[] = [];
    let sequence = 0;
    for (let round = 0; round < kRounds; round++) {
      engine = await startEngineProcess(kArgs, 60_000, dataDir);
      const base = `http://127.0.0.1:${engine.port}`;
      const clients = await loginAll(base, accounts);
      const mids = new Map<string, number>();
      for (const symbol of kSymbolNames) {
        const book = await clients[0]!.call('GET', `/api/v1/market/${symbol}/book?depth=1`);
        const bid = Number(book.json.bids[0]?.[0] ?? 100);
        const ask = Number(book.json.asks[0]?.[0] ?? bid);
        mids.set(symbol, (bid + ask) / 2);
      }
      let roundAcks = 0;
      let killed = false;
      const lane = async (client: ApiClient, account: string): Promise<void> => {
        while (!killed) {
          const index = sequence++;
          const symbol = kSymbolNames[index % kSymbolNames.length]!;
          const [tick, lot] = kSymbols[symbol]!;
          // Half of the orders cross the touch (they trade with the simulated makers), half rest.
          const offset = ((index % 9) - 4) / 1_000;
          const side = index % 2 === 0 ? 'buy' : 'sell';
          const price = Number((Math.round((mids.get(symbol)! * (1 + (side === 'buy' ? offset : -offset))) / tick) * tick).toFixed(2));
          const body = { symbol, side, type: 'limit', qty: lot * (1 + (index % 5)), limit_price: price, time_in_force: index % 3 === 0 ? 'ioc' : 'gtc', client_order_id: `soak-${index}` };
          try {
            const response = await client.call('POST', '/api/v1/orders', body);
            if (response.status === 201) {
              acks.push({ account, clientOrderId: body.client_order_id, id: response.json.id, status: response.json.status, filledQty: Number(response.json.filled_qty) });
              roundAcks++;
            } else if (!killed && response.status !== 422) {
              throw new Error(`unexpected ${response.status}: ${JSON.stringify(response.json)}`);
            }
          } catch (error) {
            if (!killed) throw error;
          }
          if (roundAcks >= kAcksPerRound && !killed) {
            killed = true;
            engine!.child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(clients.map((client, index) => lane(client, accounts[index]!)));
      // The kill may have been reaped while the lanes finished their last requests.
      if (engine.child.exitCode === null && engine.child.signalCode === null) await new Promise((resolve) => engine!.child.once('exit', resolve));

      // Restart and check everything acknowledged so far, in every round.
      engine = await startEngineProcess(kArgs, 60_000, dataDir);
      const checkBase = `http://127.0.0.1:${engine.port}`;
      const checkers = new Map((await loginAll(checkBase, accounts)).map((client, index) => [accounts[index]!, client] as const));
      for (const ack of acks) {
        const found = await checkers.get(ack.account)!.call('GET', `/api/v1/orders:by_client_id/${ack.clientOrderId}`);
        expect(found.status, `acknowledged ${ack.clientOrderId} (round ${round})`).toBe(200);
        expect(found.json.id).toBe(ack.id);
        if (kTerminal.has(ack.status)) expect(found.json.status, `terminal ${ack.clientOrderId}`).toBe(ack.status);
        expect(Number(found.json.filled_qty)).toBeGreaterThanOrEqual(ack.filledQty);
      }
      for (const account of accounts) {
        const listed = await checkers.get(account)!.call('GET', '/api/v1/orders?status=all&limit=500');
        const ids = listed.json.orders.map((order: { client_order_id: string }) => order.client_order_id);
        expect(new Set(ids).size, `${account}: no client_order_id twice`).toBe(ids.length);
      }
      expect(await engine.stop('SIGINT')).toBe(0);
      const verify = octopus(['audit', 'verify', '--data-dir', dataDir]);
      expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    }
    expect(acks.length).toBeGreaterThanOrEqual(kRounds * kAcksPerRound);
  }, 300_000);
});

// Round trip through a real QuestDB: rows go in with the official client over ILP/HTTP and come back over
// the HTTP SQL endpoint. Visibility after a flush is asynchronous (the WAL is applied after commit), so
// every read polls with eventually(); rejected writes are proven absent by a sentinel row written after
// them, since QuestDB applies one table's transactions in order.
import { randomUUID } from 'node:crypto';

import { Sender } from '@questdb/nodejs-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../../../support/eventually.js';
import { isQuestdbUp, questdbIlpConfig, questdbQuery, questdbUrl, quoteIdentifier } from '../../../support/questdb.js';

const kVisibleWithin = { timeoutMs: 30_000, intervalMs: 50 } as const;
// 2023-11-14T22:13:20Z in microseconds, the unit of QuestDB's TIMESTAMP column.
const kBaseTimestampUs = 1_700_000_000_000_000n;

interface Trade {
  symbol: string;
  price: number;
  qty: number;
  timestampUs: bigint;
}

interface TradeCase extends Trade {
  why: string;
}

function uniqueTableName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

async function openSender(): Promise<Sender> {
  return Sender.fromConfig(questdbIlpConfig());
}

/** Buffers every trade and sends them in one flush, which QuestDB commits as one transaction. */
async function writeTrades(sender: Sender, table: string, trades: readonly Trade[]): Promise<void> {
  for (const trade of trades) {
    await sender
      .table(table)
      .symbol('symbol', trade.symbol)
      .floatColumn('price', trade.price)
      .intColumn('qty', trade.qty)
      .at(trade.timestampUs, 'us');
  }
  await sender.flush();
}

async function countRows(table: string, where = 'true'): Promise<number> {
  const rows = await questdbQuery(`select count() n from ${quoteIdentifier(table)} where ${where}`);
  return Number(rows[0]?.['n']);
}

async function waitForRowCount(table: string, expected: number, where = 'true'): Promise<void> {
  await eventually(async () => {
    expect(await countRows(table, where), `rows of ${table} where ${where}`).toBe(expected);
  }, kVisibleWithin);
}

/** Reads the trades back in designated-timestamp order, the timestamp as an exact integer of microseconds. */
async function readTrades(table: string): Promise<Trade[]> {
  const rows = await questdbQuery(
    `select symbol, price, qty, cast(timestamp as long) timestamp_us from ${quoteIdentifier(table)} order by timestamp`,
  );
  return rows.map((row) => ({
    symbol: row['symbol'] as string,
    price: row['price'] as number,
    qty: row['qty'] as number,
    timestampUs: BigInt(row['timestamp_us'] as number),
  }));
}

async function dropTable(table: string): Promise<void> {
  await questdbQuery(`drop table if exists ${quoteIdentifier(table)}`);
}

beforeAll(async () => {
  if (!(await isQuestdbUp())) {
    throw new Error(
      `expected QuestDB to answer at ${questdbUrl()}, was down: run \`bash scripts/questdb.sh fetch\`, ` +
        '`start` and `wait`, or run vitest with test/global-setup.ts as globalSetup',
    );
  }
});

describe('QuestDB round trip over ILP/HTTP and SQL/HTTP', () => {
  const table = uniqueTableName('trades_test');

  // Written deliberately out of timestamp order: the server sorts by the designated timestamp.
  const trades: readonly TradeCase[] = [
    { why: 'a typical trade', symbol: 'BTC-USD', price: 64_250.5, qty: 3, timestampUs: kBaseTimestampUs + 2n },
    {
      why: 'a binary fraction survives both encodings exactly',
      symbol: 'ETH/USDT',
      price: 0.1 + 0.2,
      qty: 1,
      timestampUs: kBaseTimestampUs,
    },
    {
      why: 'a space in a symbol is escaped; the largest safe integer qty fits a LONG',
      symbol: 'DOGE USD',
      price: 1e-8,
      qty: Number.MAX_SAFE_INTEGER,
      timestampUs: kBaseTimestampUs + 1n,
    },
    {
      why: 'comma, equals and non-ASCII in a symbol are escaped; the largest double survives',
      symbol: 'ÄÖÜ,=€',
      price: Number.MAX_VALUE,
      qty: 0,
      timestampUs: kBaseTimestampUs + 86_400_000_000n,
    },
    {
      why: 'microsecond precision is kept one microsecond before the base',
      symbol: 'BTC-USD',
      price: 64_250.25,
      qty: 7,
      timestampUs: kBaseTimestampUs - 1n,
    },
  ];

  afterAll(async () => {
    await dropTable(table);
  });

  it('reads back every written row, in timestamp order, with its exact values', async () => {
    const sender = await openSender();
    try {
      await writeTrades(sender, table, trades);
    } finally {
      await sender.close();
    }

    await waitForRowCount(table, trades.length);
    const expected = [...trades]
      .sort((left, right) => (left.timestampUs < right.timestampUs ? -1 : 1))
      .map(({ symbol, price, qty, timestampUs }) => ({ symbol, price, qty, timestampUs }));
    const actual = await readTrades(table);
    expect(actual).toHaveLength(expected.length);
    expected.forEach((trade, index) => {
      const why = trades.find((candidate) => candidate.timestampUs === trade.timestampUs)?.why;
      expect(actual[index], `row ${index}: ${why}`).toEqual(trade);
    });
  });

  it('creates the table with the expected column types and designated timestamp', async () => {
    await waitForRowCount(table, trades.length);
    const columns = await questdbQuery(`select "column", type, designated from table_columns('${table}')`);
    expect(columns).toEqual([
      { column: 'symbol', type: 'SYMBOL', designated: false },
      { column: 'price', type: 'DOUBLE', designated: false },
      { column: 'qty', type: 'LONG', designated: false },
      { column: 'timestamp', type: 'TIMESTAMP', designated: true },
    ]);
  });
});

interface HostileCase {
  name: string;
  /** Symbol of every row the case tries to write; none of them may land. */
  symbol: string;
  write(sender: Sender, table: string, timestampUs: bigint): Promise<void>;
  rejects: RegExp;
  /** A table the case must not create, when it names one. */
  strayTable?: string;
}

describe('QuestDB rejects hostile writes and writes nothing', () => {
  const table = uniqueTableName('trades_hostile');
  const invalidTableName = `${table}/../escape`;

  const hostileCases: readonly HostileCase[] = [
    {
      name: 'a table name with a path separator is refused by the client',
      symbol: 'bad-table',
      strayTable: invalidTableName,
      rejects: /Invalid character in table name/,
      write: async (sender, _table, timestampUs) => {
        await sender.table(invalidTableName).symbol('symbol', 'bad-table').floatColumn('price', 1).at(timestampUs, 'us');
        await sender.flush();
      },
    },
    {
      name: 'a price given as a string is refused by the client',
      symbol: 'string-price',
      rejects: /must be of type number/,
      write: async (sender, target, timestampUs) => {
        const price: unknown = '101.5';
        await sender
          .table(target)
          .symbol('symbol', 'string-price')
          .floatColumn('price', price as number)
          .at(timestampUs, 'us');
        await sender.flush();
      },
    },
    {
      name: 'a fractional qty is refused by the client',
      symbol: 'fractional-qty',
      rejects: /must be an integer/,
      write: async (sender, target, timestampUs) => {
        await sender.table(target).symbol('symbol', 'fractional-qty').intColumn('qty', 1.5).at(timestampUs, 'us');
        await sender.flush();
      },
    },
    {
      name: 'a fractional designated timestamp is refused by the client',
      symbol: 'fractional-timestamp',
      rejects: /Designated timestamp must be an integer/,
      write: async (sender, target, timestampUs) => {
        await sender
          .table(target)
          .symbol('symbol', 'fractional-timestamp')
          .floatColumn('price', 1)
          .at(Number(timestampUs) + 0.5, 'us');
        await sender.flush();
      },
    },
    {
      name: 'a batch with one row of the wrong column type is refused whole by the server',
      symbol: 'type-conflict',
      rejects: /cast error from protocol type: STRING to column type: DOUBLE/,
      write: async (sender, target, timestampUs) => {
        // The first row is valid on its own; it must not land because its batch is one transaction.
        await sender
          .table(target)
          .symbol('symbol', 'type-conflict')
          .floatColumn('price', 1)
          .intColumn('qty', 1)
          .at(timestampUs, 'us');
        await sender
          .table(target)
          .symbol('symbol', 'type-conflict')
          .stringColumn('price', 'not a number')
          .intColumn('qty', 1)
          .at(timestampUs + 1n, 'us');
        await sender.flush();
      },
    },
  ];

  beforeAll(async () => {
    const sender = await openSender();
    try {
      await writeTrades(sender, table, [{ symbol: 'baseline', price: 1, qty: 1, timestampUs: kBaseTimestampUs }]);
    } finally {
      await sender.close();
    }
    await waitForRowCount(table, 1);
  });

  afterAll(async () => {
    await dropTable(table);
  });

  it.each(hostileCases.map((hostileCase, index) => ({ ...hostileCase, index })))(
    '$name',
    async ({ symbol, write, rejects, strayTable, index }) => {
      const timestampUs = kBaseTimestampUs + BigInt(1 + index) * 1_000n;
      const sentinel = `sentinel-${symbol}`;
      const sender = await openSender();
      try {
        await expect(write(sender, table, timestampUs)).rejects.toThrow(rejects);
        // Drop whatever the failed attempt left in the buffer, then prove the connection still works.
        sender.reset();
        await writeTrades(sender, table, [{ symbol: sentinel, price: 1, qty: 1, timestampUs: timestampUs + 500n }]);
      } finally {
        await sender.close();
      }

      await waitForRowCount(table, 1, `symbol = '${sentinel}'`);
      expect(await countRows(table, `symbol = '${symbol}'`), `rows with symbol ${symbol}`).toBe(0);
      if (strayTable !== undefined) {
        const stray = await questdbQuery(`select table_name from tables() where table_name = '${strayTable}'`);
        expect(stray, `table ${strayTable}`).toEqual([]);
      }
    },
  );

  // Not a rejection: neither the client nor the server refuses a non-finite double, and QuestDB stores
  // NULL in its place. The store must therefore check prices are finite before writing (STYLE rule 6).
  it.each([
    { price: Number.NaN, symbol: 'price-nan' },
    { price: Number.POSITIVE_INFINITY, symbol: 'price-plus-infinity' },
    { price: Number.NEGATIVE_INFINITY, symbol: 'price-minus-infinity' },
  ])('a price of $price is accepted and silently stored as NULL', async ({ price, symbol }) => {
    const sender = await openSender();
    try {
      await writeTrades(sender, table, [{ symbol, price, qty: 1, timestampUs: kBaseTimestampUs + 999_000n }]);
    } finally {
      await sender.close();
    }

    await waitForRowCount(table, 1, `symbol = '${symbol}'`);
    const rows = await questdbQuery(`select price from ${quoteIdentifier(table)} where symbol = '${symbol}'`);
    expect(rows).toEqual([{ price: null }]);
  });
});

/**
 * The ingest bench's ceiling: QuestDB's own Node client (@questdb/nodejs-client, ILP over HTTP with its
 * default auto-flush every 75,000 rows) writing the rows of a trades CSV straight into the same `trades`
 * table the engine's warehouse writes (same columns, same DEDUP keys), in its own process; the symbols are
 * renamed with `--symbol-suffix` so that they are new rows, not upserts of the engine's. Prints
 * `sent <rows>` once every row is acknowledged.
 *
 *   node --import tsx bench/workers/questdb-direct.ts --csv FILE --url http://127.0.0.1:9000 --symbol-suffix D
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Sender } from '@questdb/nodejs-client';

const { values } = parseArgs({ options: { csv: { type: 'string' }, url: { type: 'string' }, 'symbol-suffix': { type: 'string' } }, strict: true });
if (values.csv === undefined || values.url === undefined || values['symbol-suffix'] === undefined) throw new Error('expected --csv FILE --url URL --symbol-suffix S');
const url = new URL(values.url);
const lines = readFileSync(values.csv, 'utf8').split('\n');
const header = lines[0]!.split(',');
const column = (name: string): number => header.indexOf(name);
const [time, symbol, price, qty, side] = ['time_ms', 'symbol', 'price', 'qty', 'side'].map(column) as [number, number, number, number, number];
const sender = await Sender.fromConfig(`http::addr=${url.hostname}:${url.port || '9000'}`);
let rows = 0;
for (let index = 1; index < lines.length; index++) {
  if (lines[index] === '') continue;
  const fields = lines[index]!.split(',');
  rows++;
  await sender
    .table('trades')
    .symbol('symbol', fields[symbol]! + values['symbol-suffix'])
    .floatColumn('price', Number(fields[price]))
    .floatColumn('qty', Number(fields[qty]))
    .intColumn('side', fields[side] === 'buy' ? 1 : -1)
    .stringColumn('trade_id', String(rows))
    .at(Number(fields[time]), 'ms');
}
await sender.flush();
await sender.close();
process.stdout.write(`sent ${rows}\n`);

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, canonicalJson, hashRecord, kGenesisHash } from '../../src/store/audit-log.js';
import { openStateStore } from '../../src/store/state-store.js';

const binary = new URL('../../bin/octopus.js', import.meta.url).pathname;

async function auditWith(events: unknown[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'octopus-audit-'));
  const store = openStateStore(dir, 'execution.lmdb');
  const audit = new AuditLog(store);
  for (const event of events) await audit.append(event, 1_700_000_000_000);
  await store.close();
  return dir;
}

async function tamper(dir: string, change: (audit: AuditLog) => Promise<void>): Promise<void> {
  const store = openStateStore(dir, 'execution.lmdb');
  await change(new AuditLog(store));
  await store.close();
}

function verify(dir: string): { status: number | null; stdout: string } {
  const result = spawnSync(process.execPath, [binary, 'audit', 'verify', '--data-dir', dir], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout };
}

const events = Array.from({ length: 10 }, (_, index) => ({ type: 'order_new', order: { id: index, qty: 100 + index, symbol: 'ACME' } }));

describe('AuditLog', () => {
  it('chains each record to the previous one', async () => {
    const dir = await auditWith(events.slice(0, 3));
    const store = openStateStore(dir, 'execution.lmdb');
    const records = [...new AuditLog(store).database.getRange({})].map(({ value }) => value);
    expect(records[0]!.previousHash).toBe(kGenesisHash);
    expect(records[1]!.previousHash).toBe(records[0]!.hash);
    expect(records[2]!.hash).toBe(hashRecord(3, 1_700_000_000_000, records[1]!.hash, events[2]));
    await store.close();
  });

  it('hashes canonical JSON: key order does not matter, values do', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
    expect(hashRecord(1, 0, kGenesisHash, { a: 1, b: 2 })).toBe(hashRecord(1, 0, kGenesisHash, { b: 2, a: 1 }));
    expect(hashRecord(1, 0, kGenesisHash, { a: 1 })).not.toBe(hashRecord(1, 0, kGenesisHash, { a: 2 }));
  });

  it('octopus audit verify proves an intact chain (exit 0)', async () => {
    const dir = await auditWith(events);
    const result = verify(dir);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^audit chain intact: 10 records, last hash [0-9a-f]{64}$/m);
  });

  const tamperings: Array<[string, (audit: AuditLog) => Promise<void>, number]> = [
    [
      'an altered event',
      async (audit) => {
        const record = audit.database.get(4)!;
        await audit.database.put(4, { ...record, event: { ...(record.event as object), qty: 1_000_000 } });
      },
      4,
    ],
    [
      'an altered event with its own hash recomputed',
      async (audit) => {
        const record = audit.database.get(6)!;
        const event = { type: 'order_new', forged: true };
        await audit.database.put(6, { ...record, event, hash: hashRecord(6, record.timeMs, record.previousHash, event) });
      },
      7,
    ],
    ['a deleted record', async (audit) => void (await audit.database.remove(3)), 4],
  ];
  it.each(tamperings)('octopus audit verify names the first broken record after %s (exit 1)', async (_name, change, brokenSeq) => {
    const dir = await auditWith(events);
    await tamper(dir, change);
    const result = verify(dir);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`BROKEN at record ${brokenSeq}`);
  });

  it('continues the chain across a reopen', async () => {
    const dir = await auditWith(events.slice(0, 2));
    const store = openStateStore(dir, 'execution.lmdb');
    await new AuditLog(store).append({ type: 'after_restart' });
    await store.close();
    expect(verify(dir).stdout).toContain('intact: 3 records');
  });
});

import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, type JournalRecord } from '../../src/store/journal.js';
import { openStateStore } from '../../src/store/state-store.js';

function temporaryDir(): string {
  return mkdtempSync(join(tmpdir(), 'octopus-journal-'));
}

describe('Journal', () => {
  it('assigns sequence numbers in call order and replays every record in order after a reopen', async () => {
    const dir = temporaryDir();
    const store = openStateStore(dir);
    const journal = new Journal(store);
    const appended = await Promise.all(Array.from({ length: 500 }, (_, index) => journal.append('order', { index })));
    expect(appended.map((record) => record.seq)).toEqual(Array.from({ length: 500 }, (_, index) => index + 1));
    await store.close();

    const reopenedStore = openStateStore(dir);
    const reopened = new Journal(reopenedStore);
    expect(reopened.lastSeq).toBe(500);
    const replayed: JournalRecord[] = [];
    expect(reopened.replay((record) => replayed.push(record))).toBe(500);
    expect(replayed.map((record) => (record.payload as { index: number }).index)).toEqual(Array.from({ length: 500 }, (_, index) => index));
    const tail: number[] = [];
    reopened.replay((record) => tail.push(record.seq), 498);
    expect(tail).toEqual([499, 500]);
    expect((await reopened.append('order', { index: 500 })).seq).toBe(501);
    await reopenedStore.close();
  });

  it('keeps every acknowledged record when the writing process is killed with SIGKILL', async () => {
    const dir = temporaryDir();
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('../fixtures/journal-writer.ts', import.meta.url).pathname, dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acknowledged = new Map<number, number>();
    let buffered = '';
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          const [, seq, id] = line.split(' ');
          acknowledged.set(Number(seq), Number(id));
        }
        if (acknowledged.size >= 2_000 && child.exitCode === null && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const store = openStateStore(dir);
    const journal = new Journal(store);
    const stored = new Map<number, number>();
    journal.replay((record) => stored.set(record.seq, (record.payload as { id: number }).id));
    for (const [seq, id] of acknowledged) expect(stored.get(seq), `acknowledged seq ${seq}`).toBe(id);
    // Records are dense: no gaps, no duplicates.
    expect([...stored.keys()]).toEqual(Array.from({ length: stored.size }, (_, index) => index + 1));
    expect(new Set(stored.values()).size).toBe(stored.size);
    await store.close();
  });
});

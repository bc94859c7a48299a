/**
 * Picks the warehouse implementation from the environment: QuestDB when QUESTDB_URL is set, the embedded
 * LMDB store under the data dir otherwise, so `npm start` needs no server.
 */
import { LmdbTickStore } from './lmdb.js';
import { QuestdbTickStore, type QuestdbTickStoreOptions } from './questdb.js';
import type { TickStore } from './tick-store.js';

export interface TickStoreFromEnvironmentOptions {
  /** Where the LMDB store lives (`<dataDir>/ticks.lmdb`) when QuestDB is not configured. */
  readonly dataDir: string;
  readonly environment?: NodeJS.ProcessEnv;
  /** Tuning for the QuestDB store; `url` comes from QUESTDB_URL. */
  readonly questdb?: Omit<QuestdbTickStoreOptions, 'url'>;
}

/**
 * Opens the configured store. Throws what `QuestdbTickStore.open` throws (ERR_WAREHOUSE_BAD_CONFIG,
 * ERR_WAREHOUSE_UNAVAILABLE, ERR_WAREHOUSE_QUERY_FAILED) when QUESTDB_URL is set; an LMDB failure otherwise.
 */
export async function openTickStoreFromEnvironment(options: TickStoreFromEnvironmentOptions): Promise<TickStore> {
  const url = (options.environment ?? process.env)['QUESTDB_URL']?.trim();
  if (url !== undefined && url !== '') {
    return QuestdbTickStore.open({ ...options.questdb, url });
  }
  return new LmdbTickStore({ dataDir: options.dataDir });
}

// Test-side access to a local QuestDB over its HTTP SQL endpoint (/exec). scripts/questdb.sh starts the
// server; test/global-setup.ts does so for `npm test` when none is running. docs/questdb.md has the ports.

export const kQuestdbUrlDefault = 'http://127.0.0.1:9000';
/** A query that answers more rows than this is a test bug; the endpoint is asked for one more to tell. */
export const kQuestdbRowsMax = 10_000;
const kQuestdbQueryTimeoutMs = 10_000;
const kQuestdbProbeTimeoutMs = 2_000;

export type QuestdbRow = Record<string, unknown>;

interface ExecColumn {
  name: string;
  type: string;
}

/** Body of a successful /exec answer: `columns` and `dataset` for queries, `ddl` or `dml` otherwise. */
interface ExecAnswer {
  columns?: ExecColumn[];
  dataset?: unknown[][];
  error?: string;
  position?: number;
}

export class QuestdbQueryError extends Error {
  readonly code = 'ERR_QUESTDB_QUERY';

  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'QuestdbQueryError';
  }
}

/** Base URL of QuestDB's HTTP server, from QUESTDB_URL, without a trailing slash. */
export function questdbUrl(): string {
  return (process.env['QUESTDB_URL'] ?? kQuestdbUrlDefault).replace(/\/+$/, '');
}

/**
 * Configuration string for `Sender.fromConfig` that sends ILP over HTTP to the same server.
 * Auto-flush is off so that each `flush()` is exactly one HTTP request, which QuestDB applies as one
 * transaction: all of its rows are written, or none.
 */
export function questdbIlpConfig(): string {
  const url = new URL(questdbUrl());
  const port = url.port === '' ? '9000' : url.port;
  return `http::addr=${url.hostname}:${port};auto_flush=off`;
}

/**
 * Runs one SQL statement and returns its rows as objects keyed by column name. DDL and DML answer
 * no rows. Timestamps come back as ISO-8601 strings with microseconds; LONG values above 2^53 lose
 * precision in JSON, so cast such columns to strings in the query.
 *
 * Throws `QuestdbQueryError` (code `ERR_QUESTDB_QUERY`) when the server is unreachable, answers an
 * error (bad SQL, missing table), does not answer within 10 s, or answers more than `rowsMax` rows.
 */
export async function questdbQuery(sql: string, rowsMax: number = kQuestdbRowsMax): Promise<QuestdbRow[]> {
  if (!Number.isInteger(rowsMax) || rowsMax <= 0 || rowsMax > kQuestdbRowsMax) {
    throw new RangeError(`expected rowsMax in [1, ${kQuestdbRowsMax}], was ${rowsMax}`);
  }
  const endpoint = new URL(`${questdbUrl()}/exec`);
  endpoint.searchParams.set('query', sql);
  endpoint.searchParams.set('limit', String(rowsMax + 1));

  let response: Response;
  let body: ExecAnswer;
  try {
    response = await fetch(endpoint, { signal: AbortSignal.timeout(kQuestdbQueryTimeoutMs) });
    body = (await response.json()) as ExecAnswer;
  } catch (error) {
    throw new QuestdbQueryError(`expected an answer from ${endpoint.origin} to \`${sql}\`, was ${String(error)}`, {
      cause: error,
    });
  }
  if (!response.ok || body.error !== undefined) {
    throw new QuestdbQueryError(
      `expected \`${sql}\` to succeed, was HTTP ${response.status}: ${body.error ?? 'no error text'}` +
        (body.position === undefined ? '' : ` at position ${body.position}`),
    );
  }
  return rowsOf(sql, body, rowsMax);
}

function rowsOf(sql: string, body: ExecAnswer, rowsMax: number): QuestdbRow[] {
  if (body.columns === undefined || body.dataset === undefined) {
    return [];
  }
  if (body.dataset.length > rowsMax) {
    throw new QuestdbQueryError(`expected at most ${rowsMax} rows from \`${sql}\`, was more`);
  }
  const names = body.columns.map((column) => column.name);
  return body.dataset.map((values) => {
    const row: QuestdbRow = {};
    names.forEach((name, index) => {
      row[name] = values[index];
    });
    return row;
  });
}

/** True when QuestDB answers `select 1` within 2 s; never throws. */
export async function isQuestdbUp(): Promise<boolean> {
  try {
    const endpoint = new URL(`${questdbUrl()}/exec`);
    endpoint.searchParams.set('query', 'select 1');
    const response = await fetch(endpoint, { signal: AbortSignal.timeout(kQuestdbProbeTimeoutMs) });
    if (!response.ok) {
      return false;
    }
    const body = (await response.json()) as ExecAnswer;
    return body.error === undefined && body.dataset?.[0]?.[0] === 1;
  } catch {
    // Refused connections, timeouts and non-JSON answers all mean "not a QuestDB that is up".
    return false;
  }
}

/**
 * Quotes an identifier for QuestDB SQL. Test table names are generated, but quoting keeps a bad one
 * from turning into different SQL.
 */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

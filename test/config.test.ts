import { describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('uses the defaults with no flags and no environment', () => {
    expect(loadConfig([], {})).toMatchObject({ ...defaultConfig, dataDir: expect.stringMatching(/\/data$/) });
  });

  it('reads the environment, and flags win over it', () => {
    const config = loadConfig(['--port', '9100', '--data-dir=/tmp/x'], { PORT: '9000', OCTOPUS_DATA_DIR: '/tmp/y', OCTOPUS_FEED_RATE: '0' });
    expect(config).toMatchObject({ port: 9100, dataDir: '/tmp/x', feedTradesPerSecond: 0 });
  });

  it.each([
    ['a non-numeric port', ['--port', 'eighty']],
    ['a port out of range', ['--port', '70000']],
    ['a negative rate', ['--feed-rate', '-5']],
    ['a fractional seed', ['--seed', '1.5']],
    ['an unknown flag', ['--turbo', '1']],
    ['a missing value', ['--port']],
    ['an empty data dir', ['--data-dir', '  ']],
    ['a bad symbol', ['--symbols', 'AAPL,<script>']],
    ['an inbox size that is not a power of two', ['--inbox-bytes', '100000']],
    ['an unknown feed', ['--feed', 'carrier-pigeon']],
    ['an unknown venue', ['--venue', 'kraken', '--venue-symbols', 'BTCUSD']],
    ['a venue without symbols', ['--venue', 'binance']],
    ['a venue URL that is not ws', ['--venue', 'binance', '--venue-symbols', 'BTCUSDT', '--venue-ws-url', 'http://x']],
    ['a zero replay speed', ['--replay-speed', '0']],
    ['a QuestDB URL that is not http', ['--questdb-url', 'ftp://x']],
    ['duplicate bar intervals', ['--bar-intervals-ms', '1000,1000']],
  ])('rejects %s with ERR_CONFIG_INVALID', (_name, args) => {
    expect(() => loadConfig(args, {})).toThrowError(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('rejects a bad environment value too', () => {
    expect(() => loadConfig([], { PORT: 'NaN' })).toThrowError(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('turns journaling off only for OCTOPUS_BENCH_NO_JOURNAL=1 (bench only, no flag)', () => {
    expect(loadConfig([], {}).benchNoJournal).toBe(false);
    expect(loadConfig([], { OCTOPUS_BENCH_NO_JOURNAL: '1' }).benchNoJournal).toBe(true);
    expect(loadConfig([], { OCTOPUS_BENCH_NO_JOURNAL: 'yes' }).benchNoJournal).toBe(false);
    expect(() => loadConfig(['--bench-no-journal', '1'], {})).toThrowError(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });
});

describe('strategy settings (--strategy, --params)', () => {
  it('takes strategies (names or files) and one params object for all or one per strategy', () => {
    expect(loadConfig(['--strategy', 'sma_cross', '--params', '{"fast":5}'], {})).toMatchObject({ strategies: ['sma_cross'], strategyParams: [{ fast: 5 }] });
    expect(loadConfig(['--strategy', 'sma_cross,./mine.ts', '--params', '[{"fast":5},{}]'], {})).toMatchObject({ strategies: ['sma_cross', './mine.ts'], strategyParams: [{ fast: 5 }, {}] });
    expect(loadConfig([], {})).toMatchObject({ strategies: [], strategyParams: [] });
  });

  for (const args of [['--params', '{fast'], ['--params', '[1]'], ['--strategy', 'a,b', '--params', '[{},{},{}]'], ['--strategy', '']]) {
    it(`refuses ${args.join(' ')}`, () => {
      expect(() => loadConfig(args, {})).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    });
  }
});

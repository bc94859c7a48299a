import { describe, expect, it } from 'vitest';
import { RegimeDetector } from '../../../src/actors/strategy/regime.js';
import type { BarEvent } from '../../../src/actors/strategy/strategy-api.js';
import { SeededRandom } from '../../../src/engine/random.js';

function bar(index: number, close: number, range: number): BarEvent {
  return { symbol: 'A', timeMs: index * 86_400_000, intervalMs: 0, open: close, high: close + range, low: close - range, close, volume: 1 };
}

describe('regime detection (the documented rule)', () => {
  const options = { volatilityWindow: 10, historyLength: 60, minHistory: 10, adxPeriod: 5, slopeWindow: 10, slopeBars: 5 };

  it('unknown during warm-up, then high volatility after calm, low after storm', () => {
    const detector = new RegimeDetector(options);
    const random = new SeededRandom(3);
    let close = 100;
    const states = [];
    for (let index = 0; index < 120; index++) {
      const sigma = index < 60 ? 0.002 : 0.03;
      close *= Math.exp(sigma * random.nextNormal());
      states.push(detector.update(bar(index, close, close * sigma))!);
    }
    expect(states[0]!.volatility).toBe('unknown');
    expect(states[70]!.volatility).toBe('high');
    expect(states[75]!.volatilityPercentile).toBeGreaterThanOrEqual(0.75);
    const calm = new RegimeDetector(options);
    for (let index = 0; index < 120; index++) {
      const sigma = index < 60 ? 0.03 : 0.002;
      close *= Math.exp(sigma * random.nextNormal());
      states[index] = calm.update(bar(index, close, close * sigma))!;
    }
    expect(states[80]!.volatility).toBe('low');
  });

  it('trend: up on a steady rise (ADX above the threshold, positive slope), down on a fall, range when flat', () => {
    const cases: [string, (index: number) => number, string][] = [
      ['rise', (index) => 100 + index, 'up'],
      ['fall', (index) => 200 - index, 'down'],
      ['flat', (index) => 100 + (index % 2 === 0 ? 0.5 : -0.5), 'range'],
    ];
    for (const [name, path, trend] of cases) {
      const detector = new RegimeDetector(options);
      let last = null;
      for (let index = 0; index < 80; index++) last = detector.update(bar(index, path(index), 0.6));
      expect(last!.trend, name).toBe(trend);
    }
  });
});

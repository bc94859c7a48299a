import { describe, expect, it } from 'vitest';
import { LiveClock, SimulatedClock, splitNs } from '../../src/engine/clock.js';

describe('clocks', () => {
  it('splits nanoseconds into exact 32-bit halves', () => {
    const out = new Uint32Array(2);
    const cases: Array<[number, number, number]> = [
      [0, 0, 0],
      [4_294_967_295, 0, 4_294_967_295],
      [4_294_967_296, 1, 0],
      [1_795_000_000_123_456_000, Math.floor(1_795_000_000_123_456_000 / 4_294_967_296), 1_795_000_000_123_456_000 % 4_294_967_296],
    ];
    for (const [ns, high, low] of cases) {
      splitNs(ns, out);
      expect([out[0], out[1]], `ns=${ns}`).toEqual([high, low]);
    }
  });

  it('live clock is wall time and never steps backwards', () => {
    const clock = new LiveClock();
    expect(Math.abs(clock.nowMs() - Date.now())).toBeLessThan(1_000);
    let previous = clock.nowMs();
    for (let index = 0; index < 10_000; index++) {
      const now = clock.nowMs();
      expect(now).toBeGreaterThanOrEqual(previous);
      previous = now;
    }
  });

  it('simulated clock moves only when told, and never backwards', () => {
    const clock = new SimulatedClock(1_000);
    expect(clock.nowMs()).toBe(1_000);
    clock.advance(500);
    expect(clock.nowMs()).toBe(1_500);
    clock.set(2_000);
    const parts = new Uint32Array(2);
    clock.nowNsParts(parts);
    expect(parts[0]! * 4_294_967_296 + parts[1]!).toBe(2_000_000_000);
    expect(() => clock.set(1_999)).toThrow(RangeError);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
  });
});

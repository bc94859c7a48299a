import { describe, expect, it } from 'vitest';

import { emptyVenueStats, parseCount, parseDecimal, parseLevelPairs, parsePrice } from '../../../../src/actors/collector/venues/venue-events.js';

describe('venue decimal parsing', () => {
  const decimals: Array<[string, unknown, number | undefined]> = [
    ['plain integer', '42', 42],
    ['Binance eight decimals', '0.01000000', 0.01],
    ['zero', '0', 0],
    ['zero with decimals', '0.00000000', 0],
    ['large', '123456789.123', 123456789.123],
    ['leading zeros', '007', 7],
    ['exponent', '1e3', undefined],
    ['negative', '-1', undefined],
    ['explicit plus', '+1', undefined],
    ['leading dot', '.5', undefined],
    ['trailing dot', '5.', undefined],
    ['two dots', '1.2.3', undefined],
    ['whitespace', ' 1', undefined],
    ['hex', '0x10', undefined],
    ['NaN', 'NaN', undefined],
    ['Infinity', 'Infinity', undefined],
    ['empty', '', undefined],
    ['too long', '1'.repeat(41), undefined],
    ['a number, not a string', 1, undefined],
    ['null', null, undefined],
    ['an array', ['1'], undefined],
  ];
  it.each(decimals)('parseDecimal: %s', (_message, input, expected) => {
    expect(parseDecimal(input)).toBe(expected);
  });

  it('parsePrice refuses zero; parseCount wants a non-negative safe integer number', () => {
    expect(parsePrice('0'), 'zero price').toBeUndefined();
    expect(parsePrice('0.5'), 'positive price').toBe(0.5);
    const counts: Array<[string, unknown, number | undefined]> = [
      ['zero', 0, 0],
      ['id', 123456789, 123456789],
      ['negative', -1, undefined],
      ['fraction', 1.5, undefined],
      ['beyond safe', 2 ** 53, undefined],
      ['string', '1', undefined],
      ['NaN', Number.NaN, undefined],
    ];
    for (const [message, input, expected] of counts) expect(parseCount(input), message).toBe(expected);
  });

  it('parseLevelPairs accepts [["price","qty"]] and refuses the whole list on one bad entry', () => {
    expect(parseLevelPairs([['100.5', '1'], ['100', '0']], 10)).toEqual([[100.5, 1], [100, 0]]);
    expect(parseLevelPairs([['100.5', '1', 'extra ignored']], 10)).toEqual([[100.5, 1]]);
    const bad: Array<[string, unknown]> = [
      ['not an array', {}],
      ['entry not an array', ['100']],
      ['entry too short', [['100']]],
      ['zero price', [['0', '1']]],
      ['bad qty', [['1', 'x']]],
      ['one bad among good', [['1', '1'], ['2', '-2']]],
      ['over the bound', [['1', '1'], ['2', '2'], ['3', '3']]],
    ];
    for (const [message, input] of bad) expect(parseLevelPairs(input, 2), message).toBeUndefined();
  });

  it('emptyVenueStats starts every counter at zero and returns a fresh object', () => {
    const stats = emptyVenueStats();
    expect(Object.values(stats).every((value) => value === 0)).toBe(true);
    stats.gaps++;
    expect(emptyVenueStats().gaps).toBe(0);
  });
});

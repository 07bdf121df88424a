import { describe, expect, it } from 'vitest';
import { cell } from './csv.ts';

describe('cell', () => {
  it('quotes per RFC 4180', () => {
    expect(cell('a,b')).toBe('"a,b"');
    expect(cell('say "hi"')).toBe('"say ""hi"""');
    expect(cell('plain')).toBe('plain');
    expect(cell(12.5)).toBe('12.5');
  });

  it.each(['=SUM(A1)', '+1', '-1', '@cmd', '\tx', '\rx'])(
    'neutralises the formula trigger in %j',
    (value) => {
      expect(cell(value).replace(/^"/, '')).toMatch(/^'/);
    },
  );
});

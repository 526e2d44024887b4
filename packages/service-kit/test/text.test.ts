import { describe, expect, it } from 'vitest';
import { unstorableTextErrors } from '../src/index.ts';

const NUL = 'Must not contain U+0000 (NUL).';
const SURROGATE = expect.stringMatching(/^Must not contain an unpaired UTF-16 surrogate/);

describe('unstorableTextErrors', () => {
  it.each([
    ['plain ASCII', { title: 'Three robots in a row!' }],
    ['accents and other scripts', { title: 'Ümlaut, ñ, 日本語, עברית' }],
    ['emoji and other astral characters (valid surrogate pairs)', { title: '🎰🍒🤖 𝄞 👩‍💻' }],
    ['other control characters, which PostgreSQL stores', { body: 'tab\tbell\u0007del\u007f' }],
    ['numbers, booleans and null', { bet: 5, ok: true, none: null, list: [1, 2.5] }],
    ['an empty object', {}],
  ])('finds nothing in %s', (_case, value) => {
    expect(unstorableTextErrors(value)).toEqual([]);
  });

  it.each([
    ['a NUL', 'a\u0000b', NUL],
    ['a lone high surrogate', 'a\ud800b', SURROGATE],
    ['a lone low surrogate', 'a\udc00b', SURROGATE],
    ['a high surrogate at the end', 'robot\ud83e', SURROGATE],
    ['a pair in the wrong order', '\ude00\ud83d', SURROGATE],
  ])('names the field holding %s', (_case, text, message) => {
    expect(unstorableTextErrors({ title: 'fine', body: text })).toEqual([
      { path: 'body', message },
    ]);
  });

  it('gives nested fields dotted paths, array items their index, in document order', () => {
    const value = { a: { b: ['ok', 'x\u0000'] }, c: '\ud800', d: [{ e: '\u0000' }] };

    expect(unstorableTextErrors(value)).toEqual([
      { path: 'a.b.1', message: NUL },
      { path: 'c', message: SURROGATE },
      { path: 'd.0.e', message: NUL },
    ]);
  });

  it('reports a bad property name at the object that holds it', () => {
    const value = { fine: 'x', nested: { 'ti\u0000tle': 'x', '\udfff': 'y' } };

    expect(unstorableTextErrors(value)).toEqual([
      { path: 'nested', message: 'A property name must not contain U+0000 (NUL).' },
      {
        path: 'nested',
        message: expect.stringMatching(/^A property name must not contain an unpaired/),
      },
    ]);
  });

  it('names the value as a whole with the empty path', () => {
    expect(unstorableTextErrors('\u0000')).toEqual([{ path: '', message: NUL }]);
    expect(unstorableTextErrors(['\u0000'])).toEqual([{ path: '0', message: NUL }]);
  });

  it('walks nesting far deeper than the call stack would allow recursion', () => {
    let value: unknown = '\u0000';
    for (let depth = 0; depth < 200_000; depth += 1) value = [value];

    const errors = unstorableTextErrors(value);

    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toBe(NUL);
  });

  it('lists at most ten errors, so a body full of NULs gets a short answer', () => {
    const value = Array.from({ length: 1000 }, () => '\u0000');

    const errors = unstorableTextErrors(value);

    expect(errors.map((error) => error.path)).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
    ]);
  });
});

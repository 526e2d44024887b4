import { UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { playerIdOf } from '../src/player.ts';

function tokenWith(claims: Record<string, unknown>): string {
  return new UnsecuredJWT(claims).encode();
}

describe('playerIdOf', () => {
  it('reads the subject of a bearer token without checking its signature', () => {
    const token = new UnsecuredJWT({}).setSubject('0b7c6f2e-player').encode();

    expect(playerIdOf(`Bearer ${token}`)).toBe('0b7c6f2e-player');
    expect(playerIdOf(`bearer  ${token}`)).toBe('0b7c6f2e-player');
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', `Basic ${Buffer.from('alice:secret').toString('base64')}`],
    ['a token that is not a JWT', 'Bearer not-a-jwt'],
    ['a JWT with a garbled payload', 'Bearer eyJhbGciOiJub25lIn0.!!!.'],
    ['a JWT without a subject', `Bearer ${tokenWith({ name: 'x' })}`],
    ['a JWT whose subject is not a string', `Bearer ${tokenWith({ sub: 42 })}`],
    ['a JWT with an empty subject', `Bearer ${tokenWith({ sub: '' })}`],
  ])('treats a request with %s as anonymous', (_case, header) => {
    expect(playerIdOf(header)).toBeUndefined();
  });
});

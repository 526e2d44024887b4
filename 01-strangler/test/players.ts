/** A player registered through the facade (by the monolith), with a bearer token. */
export interface Player {
  id: string;
  username: string;
  token: string;
}

export async function register(baseUrl: string, prefix = 'p'): Promise<Player> {
  const username = `${prefix}${crypto.randomUUID().slice(0, 8)}`;
  const credentials = JSON.stringify({ username, password: 'correct horse battery' });
  const headers = { 'content-type': 'application/json' };
  const created = await fetch(`${baseUrl}/api/users`, {
    method: 'POST',
    headers,
    body: credentials,
  });
  if (created.status !== 201) throw new Error(`register ${username}: ${created.status}`);
  const session = await fetch(`${baseUrl}/api/sessions`, {
    method: 'POST',
    headers,
    body: credentials,
  });
  if (session.status !== 200) throw new Error(`log in ${username}: ${session.status}`);
  const { token, user } = (await session.json()) as { token: string; user: { id: string } };
  return { id: user.id, username, token };
}

export function as(player: Player, init: RequestInit = {}): RequestInit {
  return {
    ...init,
    headers: {
      authorization: `Bearer ${player.token}`,
      'content-type': 'application/json',
      ...init.headers,
    },
  };
}

export interface SpinAnswer {
  status: number;
  servedBy: string | null;
  /** The spin's id and net change (payout − bet), for a 201. */
  spin?: { id: string; net: number };
}

export async function spin(
  baseUrl: string,
  player: Player,
  bet: number,
  idempotencyKey?: string,
): Promise<SpinAnswer> {
  const headers: Record<string, string> = idempotencyKey
    ? { 'idempotency-key': idempotencyKey }
    : {};
  const response = await fetch(
    `${baseUrl}/api/slots/spins`,
    as(player, { method: 'POST', body: JSON.stringify({ bet }), headers }),
  );
  const body = (await response.json()) as { id: string; bet: number; payout: number };
  return {
    status: response.status,
    servedBy: response.headers.get('x-served-by'),
    spin: response.status === 201 ? { id: body.id, net: body.payout - body.bet } : undefined,
  };
}

export async function balanceOf(baseUrl: string, player: Player): Promise<number> {
  const response = await fetch(`${baseUrl}/api/slots/wallet`, as(player));
  if (response.status !== 200) throw new Error(`wallet of ${player.username}: ${response.status}`);
  return ((await response.json()) as { balance: number }).balance;
}

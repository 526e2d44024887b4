/*
 * API Gateway's throttling: a token bucket per route ("Throttle requests to your HTTP APIs"). The
 * stage's DefaultRouteSettings give every route a bucket of `burstLimit` tokens, refilled at
 * `rateLimit` tokens per second; a request that finds the bucket empty is answered 429. The rate
 * is a rate, not a duration a template declares, so the time scale does not change it.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly burstLimit: number,
    private readonly ratePerSecond: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.tokens = burstLimit;
    this.last = this.now();
  }

  /** Takes a token if there is one. */
  take(): boolean {
    const now = this.now();
    const refill = ((now - this.last) / 1000) * this.ratePerSecond;
    this.tokens = Math.min(this.burstLimit, this.tokens + refill);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

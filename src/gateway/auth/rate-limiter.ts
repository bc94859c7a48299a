/**
 * Token-bucket rate limits keyed by principal or client address. Bounded: at most `maxKeys` buckets;
 * when full, the least recently used bucket is dropped (a dropped key simply starts with a full bucket).
 */
export interface RateLimit {
  /** Sustained requests per second. */
  ratePerSecond: number;
  /** Bucket size: how many requests may arrive at once. */
  burst: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Whole seconds until one request would be allowed (for Retry-After); 0 when allowed. */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly maxKeys = 100_000,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    if (!(limit.ratePerSecond > 0) || !(limit.burst >= 1)) throw new RangeError(`expected a positive rate and burst >= 1, was ${JSON.stringify(limit)}`);
  }

  take(key: string): RateDecision {
    const now = this.nowMs();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
      bucket = { tokens: this.limit.burst, updatedMs: now };
    } else {
      this.buckets.delete(key); // re-inserted below: Map order is the LRU order
      bucket.tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.updatedMs) * this.limit.ratePerSecond) / 1_000);
      bucket.updatedMs = now;
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.ratePerSecond)) };
  }
}

import { describe, expect, it } from 'vitest';
import { backoffDelay, closeAction, kBackoffMaxMs, wsUrl } from './connection';

describe('reconnect backoff', () => {
  it('starts near 0.5 s, doubles, and stays within 15 s ±30%', () => {
    expect(backoffDelay(0, () => 0.5)).toBe(500);
    expect(backoffDelay(1, () => 0.5)).toBe(1000);
    expect(backoffDelay(3, () => 0.5)).toBe(4000);
    expect(backoffDelay(10, () => 0.5)).toBe(kBackoffMaxMs);
    expect(backoffDelay(1000, () => 0.5)).toBe(kBackoffMaxMs);
    for (let attempt = 0; attempt < 40; attempt++) {
      for (const r of [0, 0.25, 0.999999]) {
        const d = backoffDelay(attempt, () => r);
        const base = Math.min(kBackoffMaxMs, 500 * 2 ** attempt);
        expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.7));
        expect(d).toBeLessThanOrEqual(Math.ceil(base * 1.3));
      }
    }
  });

  it('spreads clients apart with jitter', () => {
    let seed = 1;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const delays = new Set(Array.from({ length: 20 }, () => backoffDelay(4, rnd)));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe('close codes', () => {
  it('maps each close code to what the user expects', () => {
    expect(closeAction(1001)).toBe('reconnect');
    expect(closeAction(4008)).toBe('reconnect');
    expect(closeAction(1006)).toBe('reconnect');
    expect(closeAction(1011)).toBe('reconnect');
    expect(closeAction(4003)).toBe('banned');
    expect(closeAction(4001)).toBe('reauth');
    expect(closeAction(1000)).toBe('stop');
  });
});

describe('socket URL', () => {
  it('uses wss on https and resumes with since', () => {
    expect(wsUrl({ protocol: 'https:', host: 'chat.example' }, 0)).toBe('wss://chat.example/ws');
    expect(wsUrl({ protocol: 'http:', host: '127.0.0.1:8080' }, 42)).toBe('ws://127.0.0.1:8080/ws?since=42');
  });
});

import { describe, expect, it } from 'vitest';
import { InvalidationLog } from '../../src/response-cache.js';

// The response cache stores an answer only if none of its entities was invalidated after its
// execution started. The log that says so remembers a bounded number of keys; what it forgot
// must count as changed, never as unchanged.

describe('the invalidation log of the response cache', () => {
  it('says exactly which keys changed since a point, while it remembers them', () => {
    const log = new InvalidationLog(100);
    log.record(['Session:a']);
    const since = log.seq;
    log.record(['Session:b', 'sessions:venue:v']);
    expect(log.changedSince(since, ['Session:a'])).toBe(false);
    expect(log.changedSince(since, ['Session:b'])).toBe(true);
    expect(log.changedSince(since, ['Venue:v', 'sessions:venue:v'])).toBe(true);
    expect(log.changedSince(log.seq, ['Session:b'])).toBe(false);
    // Invalidated again later: the later time counts.
    const later = log.seq;
    log.record(['Session:a']);
    expect(log.changedSince(later, ['Session:a'])).toBe(true);
  });

  it('stays within its capacity, and counts what it forgot as changed', () => {
    const log = new InvalidationLog(100);
    const started = log.seq;
    for (let k = 0; k < 1_000; k++) {
      log.record([`Booking:${k}`]);
      expect(log.size).toBeLessThanOrEqual(100);
    }
    // Booking:0 was forgotten long ago: an answer that started before it may be stale.
    expect(log.changedSince(started, ['Session:never-invalidated'])).toBe(true);
    // An answer that started after the newest forgotten key is judged by what is remembered.
    const recent = log.seq;
    log.record(['Session:x']);
    expect(log.changedSince(recent, ['Session:never-invalidated'])).toBe(false);
    expect(log.changedSince(recent, ['Session:x'])).toBe(true);
    expect(log.changedSince(recent - 5, ['Booking:998'])).toBe(true);
  });

  it('keeps a key invalidated again when its older invalidation is forgotten', () => {
    // Every booking invalidates `sessions:all` and its session's lists: the same few keys, over and
    // over, among keys seen once.
    const log = new InvalidationLog(100);
    log.record(['Session:hot']);
    for (let k = 0; k < 80; k++) log.record([`Booking:${k}`]);
    const since = log.seq;
    log.record(['Session:hot', 'sessions:all']);
    for (let k = 80; k < 89; k++) log.record([`Booking:${k}`, 'sessions:all']);
    // Past its capacity, it forgot the oldest tenth, the first invalidation of Session:hot among
    // them, but nothing since `since`: its second is remembered.
    expect(log.size).toBe(90);
    expect(log.changedSince(since, ['Session:hot'])).toBe(true);
    expect(log.changedSince(since, ['sessions:all'])).toBe(true);
    expect(log.changedSince(since, ['Session:cold'])).toBe(false);
    const recent = log.seq;
    expect(log.changedSince(recent, ['Session:hot', 'sessions:all'])).toBe(false);
    log.record(['sessions:all']);
    expect(log.changedSince(recent, ['sessions:all'])).toBe(true);
  });

  it('forgets in batches of a tenth, not one key per record', () => {
    const log = new InvalidationLog(100);
    for (let k = 0; k < 100; k++) log.record([`Booking:${k}`]);
    expect(log.size).toBe(100);
    log.record(['Booking:100']);
    expect(log.size).toBe(90);
    // The next ten records forget nothing.
    for (let k = 101; k < 111; k++) log.record([`Booking:${k}`]);
    expect(log.size).toBe(100);
  });
});

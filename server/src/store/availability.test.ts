import { describe, expect, it } from 'vitest';
import { StoreHealth } from './availability.js';

const write = 'insert into messages values (?)';
const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
const succeeded: [string] = [write];
const failed: [string, unknown] = [write, full];

describe('StoreHealth', () => {
  it('a failed write marks the store failing; a write that went through clears it', () => {
    const health = new StoreHealth();
    health.observe(...failed);
    expect(health.writable).toBe(false);
    health.observe(...succeeded);
    expect(health.writable).toBe(true);
  });

  it('a write inside a transaction clears nothing until its commit goes through (SQLite fails a full disk at the commit)', () => {
    const health = new StoreHealth();
    let inTransaction = false;
    health.deferWhile(() => inTransaction);
    health.observe(...failed);
    inTransaction = true;
    health.observe(...succeeded);
    expect(health.writable).toBe(false);
    health.observeCommit(full);
    inTransaction = false;
    expect(health.failure()?.error).toContain('disk is full');
    inTransaction = true;
    health.observe(...succeeded);
    health.observeCommit();
    expect(health.writable).toBe(true);
  });
});

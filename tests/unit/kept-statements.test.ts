import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { keepStatements, pragma } from '../../src/store/sqlite/kept-statements.js';

/** A database whose native `prepare` calls are counted (before `keepStatements` wraps it). */
function countedDatabase(): { db: Database.Database; prepared: () => number } {
  const db = new Database(':memory:');
  let count = 0;
  const native = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    count++;
    return native(sql);
  }) as typeof db.prepare;
  return { db: keepStatements(db), prepared: () => count };
}

describe('keepStatements (no statement left for the garbage collector: Node 24.19+ aborts on one)', () => {
  it('prepares each SQL text once and hands out the same statement after', () => {
    const { db, prepared } = countedDatabase();
    db.exec('CREATE TABLE t (x INTEGER)');
    for (let i = 0; i < 1_000; i++) db.prepare('INSERT INTO t (x) VALUES (?)').run(i);
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 1_000 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM t')).toBe(db.prepare('SELECT COUNT(*) AS n FROM t'));
    expect(prepared()).toBe(2);
  });

  it('runs pragmas through kept statements, setting and reading, however often', () => {
    const { db, prepared } = countedDatabase();
    expect(pragma(db, 'busy_timeout = 1234')).toBe(1234);
    expect(pragma(db, 'busy_timeout')).toBe(1234);
    pragma(db, 'foreign_keys = ON');
    expect(pragma(db, 'foreign_keys')).toBe(1);
    for (let i = 0; i < 1_000; i++) pragma(db, 'data_version');
    expect(prepared()).toBe(5);
  });
});

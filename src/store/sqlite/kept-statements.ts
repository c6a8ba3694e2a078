import type Database from 'better-sqlite3';

/**
 * Databases (with their statements) kept reachable for the life of the process. On Node 24.19 and
 * later, better-sqlite3 12 aborts the process (`Assertion failed: (env) != nullptr` in
 * `Statement::~Statement`) when the garbage collector frees one of its statements or databases:
 * Node 24.19 added cleanup hooks to `node::ObjectWrap`, compiled into the module, and the module's
 * destructors run them without an environment. better-sqlite3 13 fixes it but needs Node 22, and
 * Node 20 is supported; so nothing of theirs is ever left for the collector.
 */
const kept: unknown[] = [];

/**
 * Makes `db.prepare` hand out one statement per SQL text, prepared once and kept (with the database)
 * for the life of the process, so none is ever garbage-collected (see `kept`). Every SQL text the
 * store uses is fixed, so the statements are few. A statement is shared by every caller of its SQL:
 * a caller that sets a mode (`pluck`) must be the only user of that SQL, and a statement must not
 * be iterated across an `await` (read a page with `all` instead). Use `pragma` below instead of
 * `db.pragma`, which prepares a new statement on every call.
 */
export function keepStatements<T extends Database.Database>(db: T): T {
  const statements = new Map<string, Database.Statement>();
  const prepare = db.prepare.bind(db);
  const cached = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  db.prepare = cached as T['prepare'];
  kept.push(db, statements);
  return db;
}

/** Runs `PRAGMA <source>` through the database's kept statements; returns its first value. */
export function pragma(db: Database.Database, source: string): unknown {
  const statement = db.prepare(`PRAGMA ${source}`);
  return statement.reader ? statement.pluck().get() : statement.run();
}

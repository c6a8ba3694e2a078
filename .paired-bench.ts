// Paired, interleaved p95: today's query (no scope filter, global-only store) against the same
// question asked from server 0 of a store with 10 servers x 100 own articles. Same process, alternating per question.
import fs from 'node:fs';
import { buildAnswering } from '/work/wt-scopes/src/app/answering.js';
import { openSqliteStore } from '/work/wt-scopes/src/app/root.js';
import { visibleScopes } from '/work/wt-scopes/src/store/ports.js';
const questions = fs.readFileSync('/work/shared/eval/rtqa-2024/questions.jsonl', 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { question: string; date: string });
const plain = openSqliteStore('/tmp/bench-after0', { embedding: null });
const scoped = openSqliteStore('/tmp/bench-after', { embedding: null });
const a = buildAnswering({ store: plain, embedder: null, retrieval: { mode: 'lexical' } }).answers;
const b = buildAnswering({ store: scoped, embedder: null, retrieval: { mode: 'lexical' } }).answers;
const scopes = visibleScopes('900000000000000000');
const rounds = Number(process.argv[2] ?? 2);
for (const q of questions.slice(0, 20)) { await a.ask(q.question, { asOf: new Date(`${q.date}T23:59:59Z`) }); await b.ask(q.question, { asOf: new Date(`${q.date}T23:59:59Z`), scopes }); }
const ta: number[] = []; const tb: number[] = [];
for (let r = 0; r < rounds; r++) for (const [i, q] of questions.entries()) {
  const asOf = new Date(`${q.date}T23:59:59Z`);
  const order = (i + r) % 2 === 0;
  for (const which of order ? ['a', 'b'] : ['b', 'a']) {
    const t = performance.now();
    if (which === 'a') await a.ask(q.question, { asOf }); else await b.ask(q.question, { asOf, scopes });
    (which === 'a' ? ta : tb).push(performance.now() - t);
  }
}
const pct = (xs: number[], p: number) => { const s = [...xs].sort((x, y) => x - y); return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! * 10) / 10; };
console.log(JSON.stringify({ queries: ta.length, today: { p50: pct(ta, 50), p95: pct(ta, 95), p99: pct(ta, 99) }, servers10x100_asServer0: { p50: pct(tb, 50), p95: pct(tb, 95), p99: pct(tb, 99) }, p95_ratio: Math.round((pct(tb, 95) / pct(ta, 95)) * 1000) / 1000, load: fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') }));
await plain.close(); await scoped.close();

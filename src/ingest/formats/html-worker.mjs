// Worker thread of extractHtml (html.ts): runs Readability off the main thread so that a page
// that takes too long can be stopped. Plain JavaScript because worker threads do not inherit
// tsx's loader in every runner (vitest). Beside the compiled html.js (dist/, `npm run build`)
// it loads that; beside the source it registers tsx itself, then loads html.ts.
import fs from 'node:fs';
import { URL } from 'node:url';
import { parentPort } from 'node:worker_threads';

const compiled = new URL('./html.js', import.meta.url);
let parseHtmlArticle;
if (fs.existsSync(compiled)) {
  ({ parseHtmlArticle } = await import(compiled.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ parseHtmlArticle } = await import('./html.ts'));
}

parentPort.on('message', ({ html, pageUrl }) => {
  try {
    parentPort.postMessage({ raw: parseHtmlArticle(html, pageUrl) });
  } catch (error) {
    parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
});
parentPort.postMessage({ ready: true });

/**
 * @module The HTTP ceiling: a bare Hono `POST /api/event → 204` on @hono/node-server.
 *
 * It reads the body (as Glimt does) and does nothing else, so the load generator and
 * Node's HTTP stack are all that limit it. `npm run bench` runs it as a child process,
 * side by side with Glimt, with the same load. It reports its own CPU time and peak RSS
 * on `GET /_bench/usage`, and prints `ceiling listening on PORT` when ready.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
let bodies = 0;
app.post('/api/event', async (c) => {
  await c.req.text();
  bodies++;
  return c.body(null, 204);
});
app.get('/_bench/usage', (c) => {
  const cpu = process.cpuUsage();
  return c.json({ cpuUs: cpu.user + cpu.system, rss: process.memoryUsage.rss(), bodies });
});

const port = Number(process.env.PORT ?? 0);
const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
  console.log(`ceiling listening on ${info.port}`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

/**
 * @module The Workers ceiling (bench/workers/wrangler.bare.toml): a Worker that reads the
 * request body and answers 204, nothing else. `npm run bench -- --only workers` runs it under
 * `wrangler dev` next to Glimt's Worker, with the same load, and reports Glimt / this.
 */
export default {
  async fetch(request: Request): Promise<Response> {
    await request.arrayBuffer();
    return new Response(null, { status: 204 });
  },
};

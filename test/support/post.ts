/**
 * @module Posts events over real HTTP, optionally from a chosen loopback source address
 * (`localAddress`), so that one machine can play many client IPs.
 */
import http from 'node:http';

export const agents = new Map<string, http.Agent>();

export interface PostOptions {
  userAgent?: string;
  localAddress?: string;
  headers?: Record<string, string>;
}

export const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

export function postEvent(
  baseUrl: string,
  body: unknown,
  options: PostOptions = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const url = new URL('/api/event', baseUrl);
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  const key = options.localAddress ?? '';
  let agent = agents.get(key);
  if (!agent) {
    agent = new http.Agent({
      keepAlive: true,
      maxSockets: 64,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    agents.set(key, agent);
  }
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'text/plain',
          'user-agent': options.userAgent ?? CHROME_UA,
          'content-length': Buffer.byteLength(payload),
          ...options.headers,
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: text, headers: response.headers }),
        );
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

export function closeAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

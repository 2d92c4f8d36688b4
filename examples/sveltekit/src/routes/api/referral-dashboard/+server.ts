// GET /api/referral-dashboard: the session endpoint, on this app's own origin (no CORS, the
// element's default `credentials`), passed through to the reference backend running beside the
// app at DASHBOARD_BACKEND_URL (read per request, so one build runs anywhere). A reverse proxy
// in front of both (nginx, a load balancer) does the same without this file.
import { json } from '@sveltejs/kit';
import { env } from '$env/dynamic/private';
import type { RequestHandler } from './$types';

/** The backend's headers the widget reads. */
const PASSED_BACK = ['content-type', 'cache-control', 'retry-after'];

export const GET: RequestHandler = async ({ request, url, fetch }) => {
  const backend = env.DASHBOARD_BACKEND_URL;
  if (!backend) {
    return json({ error: { type: 'server', message: 'DASHBOARD_BACKEND_URL is not set' } }, { status: 500 });
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  const authorization = request.headers.get('authorization');
  if (authorization) headers.authorization = authorization;
  let answer: Response;
  try {
    answer = await fetch(new URL(url.pathname + url.search, backend), { headers });
  } catch {
    return json({ error: { type: 'server', message: 'the dashboard backend is unreachable' } }, { status: 502 });
  }
  const passed = new Headers();
  for (const name of PASSED_BACK) {
    const value = answer.headers.get(name);
    if (value) passed.set(name, value);
  }
  return new Response(answer.body, { status: answer.status, headers: passed });
};

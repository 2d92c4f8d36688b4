// GET /api/referral-dashboard: the session endpoint, on this app's own origin (no CORS, the
// element's default `credentials`), passed through to the reference backend running beside the
// app at DASHBOARD_BACKEND_URL (read per request, so one build runs anywhere). A reverse proxy
// in front of both (nginx, a load balancer) does the same without this file.
export const dynamic = 'force-dynamic';

/** The backend's headers the widget reads. */
const PASSED_BACK = ['content-type', 'cache-control', 'retry-after'];

export async function GET(request) {
  const backend = process.env.DASHBOARD_BACKEND_URL;
  if (!backend) {
    return Response.json({ error: { type: 'server', message: 'DASHBOARD_BACKEND_URL is not set' } }, { status: 500 });
  }
  const { pathname, search } = new URL(request.url);
  const headers = { accept: 'application/json' };
  const authorization = request.headers.get('authorization');
  if (authorization) headers.authorization = authorization;
  let answer;
  try {
    answer = await fetch(new URL(pathname + search, backend), { headers, cache: 'no-store' });
  } catch {
    return Response.json({ error: { type: 'server', message: 'the dashboard backend is unreachable' } }, { status: 502 });
  }
  const passed = new Headers();
  for (const name of PASSED_BACK) {
    const value = answer.headers.get(name);
    if (value) passed.set(name, value);
  }
  return new Response(answer.body, { status: answer.status, headers: passed });
}

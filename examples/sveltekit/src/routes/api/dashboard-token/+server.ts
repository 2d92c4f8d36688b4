// GET /api/dashboard-token: the element's `token-url`. A short-lived identity token for the
// signed-in user, signed with the secret the reference backend checks (DASHBOARD_JWT_SECRET, the
// same value on both sides), answered as {"token": "..."}. Same origin as the page, so the
// element sends the app's cookies with it.
import { json } from '@sveltejs/kit';
import { env } from '$env/dynamic/private';
import { signHs256 } from '$lib/server/jwt';
import { currentUser } from '$lib/server/user';
import type { RequestHandler } from './$types';

/** Five minutes: the element asks again before every request, so a token is needed only briefly. */
const LIFETIME_SECONDS = 300;

export const GET: RequestHandler = ({ cookies }) => {
  const secret = env.DASHBOARD_JWT_SECRET;
  if (!secret) {
    return json({ error: { type: 'server', message: 'DASHBOARD_JWT_SECRET is not set' } }, { status: 500 });
  }
  const user = currentUser(cookies);
  if (!user) {
    return json({ error: { type: 'authentication', message: 'not signed in' } }, { status: 401 });
  }
  const now = Math.floor(Date.now() / 1000);
  const token = signHs256(
    { sub: user.id, email: user.email, name: user.name, email_verified: true, iat: now, exp: now + LIFETIME_SECONDS },
    secret,
  );
  return json({ token }, { headers: { 'cache-control': 'no-store' } });
};

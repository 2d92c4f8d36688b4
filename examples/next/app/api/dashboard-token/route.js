// GET /api/dashboard-token: a short-lived identity token for the signed-in user, signed with the
// secret the reference backend checks (DASHBOARD_JWT_SECRET, the same value on both sides). The
// widget asks for one before each request; it answers {"token": "..."}, the shape `token-url`
// expects too.
import { signHs256 } from '../../../lib/jwt.js';
import { currentUser } from '../../../lib/user.js';

export const dynamic = 'force-dynamic';

/** Five minutes: the widget asks again before every request, so a token is needed only briefly. */
const LIFETIME_SECONDS = 300;

export async function GET() {
  const secret = process.env.DASHBOARD_JWT_SECRET;
  if (!secret) {
    return Response.json({ error: { type: 'server', message: 'DASHBOARD_JWT_SECRET is not set' } }, { status: 500 });
  }
  const user = await currentUser();
  if (!user) {
    return Response.json({ error: { type: 'authentication', message: 'not signed in' } }, { status: 401 });
  }
  const now = Math.floor(Date.now() / 1000);
  const token = signHs256(
    { sub: user.id, email: user.email, name: user.name, email_verified: true, iat: now, exp: now + LIFETIME_SECONDS },
    secret,
  );
  return Response.json({ token }, { headers: { 'cache-control': 'no-store' } });
}

// Who is signed in: this app's own business. A real app asks its auth (its session cookie,
// NextAuth, Clerk…); this example signs in one of the reference backend's sandbox users, named
// by the `demo_user` cookie (Ada when there is none).
import { cookies } from 'next/headers';

const USERS = {
  ada: { id: 'demo-ada', email: 'ada@example.com', name: 'Ada' },
  grace: { id: 'demo-grace', email: 'grace@example.com', name: 'Grace' },
  linus: { id: 'demo-linus', email: 'linus@example.com', name: 'Linus' },
};

/** The signed-in user, or null. */
export async function currentUser() {
  const name = (await cookies()).get('demo_user')?.value ?? 'ada';
  return Object.hasOwn(USERS, name) ? USERS[name] : null;
}

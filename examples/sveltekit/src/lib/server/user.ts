// Who is signed in: this app's own business. A real app asks its auth (its session cookie,
// Lucia, Auth.js…); this example signs in one of the reference backend's sandbox users, named by
// the `demo_user` cookie (Ada when there is none).
import type { Cookies } from '@sveltejs/kit';

export interface User {
  id: string;
  email: string;
  name: string;
}

const USERS: Record<string, User> = {
  ada: { id: 'demo-ada', email: 'ada@example.com', name: 'Ada' },
  grace: { id: 'demo-grace', email: 'grace@example.com', name: 'Grace' },
  linus: { id: 'demo-linus', email: 'linus@example.com', name: 'Linus' },
};

/** The signed-in user, or null. */
export function currentUser(cookies: Cookies): User | null {
  const name = cookies.get('demo_user') ?? 'ada';
  return Object.hasOwn(USERS, name) ? USERS[name] : null;
}

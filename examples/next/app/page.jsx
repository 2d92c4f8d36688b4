// A server component: rendered on the server for every request (the page is per user), with the
// dashboard, a client component, inside it.
import { Dashboard } from './dashboard';

export const dynamic = 'force-dynamic';

export default function Page() {
  return (
    <main>
      <h1>Next.js 16</h1>
      <p>
        Server-rendered with the App Router: the React wrapper <code>referrer-dashboard/react</code> in a
        client component, a token route and the session endpoint proxied to the reference backend.
      </p>
      <Dashboard />
    </main>
  );
}

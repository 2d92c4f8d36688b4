'use client';
// The dashboard: the package's React wrapper sets getAuthToken and listens to the rd-* events
// after hydration (React 19 does not set a custom element's properties when it hydrates one).
import { useState } from 'react';
import { ReferrerDashboard } from 'referrer-dashboard/react';

/** A short-lived token for the signed-in user, from this app's own route (app/api/dashboard-token). */
async function getAuthToken() {
  const response = await fetch('/api/dashboard-token', { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`dashboard token: HTTP ${response.status}`);
  return (await response.json()).token;
}

export function Dashboard() {
  const [lastEvent, setLastEvent] = useState('');
  return (
    <>
      <ReferrerDashboard
        endpoint="/api/referral-dashboard"
        getAuthToken={getAuthToken}
        onRdLoad={(event) => setLastEvent(`rd-load: ${event.detail.stats.referrals} referrals`)}
        onRdCopy={(event) => setLastEvent(`rd-copy: ${event.detail.link}`)}
        onRdError={(event) => setLastEvent(`rd-error: ${event.detail.type}`)}
      />
      <p id="last-event" className="last-event" aria-live="polite">
        {lastEvent}
      </p>
    </>
  );
}

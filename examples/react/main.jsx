// React 19 sets properties on custom elements (getAuthToken) and attaches `on<event-name>`
// props as listeners for that exact event name (onrd-copy listens for rd-copy).
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import 'referrer-dashboard';
import { getAuthToken } from '../token.js';

function App() {
  const [lastEvent, setLastEvent] = useState('');
  return (
    <main>
      <h1>React 19</h1>
      <p>
        <a href="/docs/integrate.html#react">Guide</a>
      </p>
      <referrer-dashboard
        endpoint="/api/referral-dashboard"
        getAuthToken={getAuthToken}
        onrd-load={(event) => setLastEvent(`rd-load: ${event.detail.stats.referrals} referrals`)}
        onrd-copy={(event) => setLastEvent(`rd-copy: ${event.detail.link}`)}
      />
      <p id="last-event" className="last-event" aria-live="polite">
        {lastEvent}
      </p>
    </main>
  );
}

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

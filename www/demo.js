// The demo host page: sign in a sample user and hand the element a way to get their token.
const dashboard = document.querySelector('#dashboard');
const user = document.querySelector('#user');
const events = document.querySelector('#events');

// In a real app this calls your own backend, which mints a short-lived token for the signed-in
// user; here the demo server's /demo/token plays that part (it exists only in sandbox mode).
dashboard.getAuthToken = async () => {
  const response = await fetch(`/demo/token?user=${encodeURIComponent(user.value)}`);
  if (!response.ok) throw new Error(`demo token: HTTP ${response.status}`);
  return (await response.json()).token;
};

user.addEventListener('change', () => dashboard.refresh());

for (const name of ['rd-load', 'rd-copy', 'rd-share', 'rd-error']) {
  dashboard.addEventListener(name, (event) => {
    events.textContent = `${name} ${JSON.stringify(event.detail)}`;
  });
}

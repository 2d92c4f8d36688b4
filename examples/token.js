// How the examples get the signed-in user's identity token: from the host's own backend. Here
// the demo server's /demo/token plays that part (it exists only while the sandbox serves).
export async function getAuthToken() {
  const response = await fetch('/demo/token?user=ada');
  if (!response.ok) throw new Error(`token: HTTP ${response.status}`);
  return (await response.json()).token;
}

import { getAuthToken } from '/examples/token.js';

const dashboard = document.querySelector('#dashboard');
dashboard.getAuthToken = getAuthToken;
const log = document.querySelector('#last-event');
dashboard.addEventListener('rd-load', (event) => (log.textContent = `rd-load: ${event.detail.stats.referrals} referrals`));
dashboard.addEventListener('rd-copy', (event) => (log.textContent = `rd-copy: ${event.detail.link}`));

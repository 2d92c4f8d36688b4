// The benchmark's yardstick: a hand-written vanilla custom element that fetches the same
// session and renders the same markup as <referrer-dashboard> (same parts, classes, texts,
// stylesheet, and QR path), so the render benchmark compares like with like. It does the least
// a correct widget must: fetch, check the essentials, build the DOM, fire the load event. The
// stylesheet text and the QR drawing come from the bench (window.VANILLA), taken from the real
// element, so the markup size matches.

const { css, qrSide, qrPath } = window.VANILLA;
const sheet = new CSSStyleSheet();
sheet.replaceSync(css);

function el(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

class VanillaDashboard extends HTMLElement {
  async connectedCallback() {
    const root = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    root.adoptedStyleSheets = [sheet];
    const response = await fetch(this.getAttribute('endpoint'), { headers: { Accept: 'application/json' } });
    const session = await response.json();
    if (session.version !== 1 || !/^https?:\/\//i.test(session.referrer?.link ?? '')) throw new Error('invalid session');
    root.replaceChildren(this.render(session));
    this.dispatchEvent(new CustomEvent('rd-load', { bubbles: true, composed: true, detail: { stats: session.stats } }));
  }

  render(session) {
    const locale = 'en-US';
    const numbers = new Intl.NumberFormat(locale);
    const compact = new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 });
    const dates = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
    const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
    const link = session.referrer.link;

    const wrapper = el('div', { class: 'root' });
    const card = el('section', { part: 'card', class: 'card', 'aria-label': 'Your referral dashboard', lang: locale, dir: 'ltr', 'aria-busy': 'false' });
    wrapper.append(card);

    const top = el('div', { class: 'top' });
    const main = el('div', { class: 'main' });
    const field = el('div', { class: 'link' });
    field.append(el('label', { for: 'rd-link', class: 'label' }, 'Your referral link'));
    const row = el('div', { class: 'link-row' });
    const input = el('input', { id: 'rd-link', part: 'link', type: 'text', readonly: '', dir: 'ltr', spellcheck: 'false' });
    input.value = link;
    const copy = el('button', { part: 'copy-button', type: 'button', class: 'primary', 'data-state': 'idle' }, 'Copy');
    copy.addEventListener('click', () => navigator.clipboard?.writeText(link));
    row.append(input, copy);
    field.append(row, el('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' }));
    const share = el('div', { part: 'share', class: 'share', role: 'group', 'aria-label': 'Share your link' });
    const message = encodeURIComponent('Join me with my referral link:');
    const target = encodeURIComponent(link);
    for (const [channel, label, href] of [
      ['email', 'Email', `mailto:?subject=${encodeURIComponent('An invitation for you')}&body=${message}%20${target}`],
      ['x', 'X', `https://x.com/intent/post?text=${message}&url=${target}`],
      ['whatsapp', 'WhatsApp', `https://wa.me/?text=${message}%20${target}`],
      ['linkedin', 'LinkedIn', `https://www.linkedin.com/sharing/share-offsite/?url=${target}`],
    ]) {
      const a = el('a', { class: 'share-action', 'data-channel': channel, href, rel: 'noopener noreferrer' }, label);
      if (channel !== 'email') a.setAttribute('target', '_blank');
      share.append(a);
    }
    main.append(field, share);
    const figure = el('figure', { part: 'qr', class: 'qr' });
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', `0 0 ${qrSide} ${qrSide}`);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'QR code of your referral link');
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', qrPath);
    svg.append(path);
    figure.append(svg);
    top.append(main, figure);

    const stats = el('dl', { part: 'stats', class: 'stats' });
    for (const [key, label, value, isReach] of [
      ['reach', 'Reach', session.stats.reach, true],
      ['referrals', 'Referrals', session.stats.referrals, false],
      ['qualified', 'Qualified referrals', session.stats.qualified, false],
    ]) {
      const stat = el('div', { part: 'stat', class: 'stat', 'data-stat': key });
      const dd = el('dd', { part: 'stat-value', class: 'stat-value' });
      if (isReach && value >= 10_000) {
        dd.textContent = compact.format(value);
        dd.title = numbers.format(value);
      } else {
        dd.textContent = numbers.format(value);
      }
      stat.append(el('dt', { part: 'stat-label', class: 'stat-label' }, label), dd);
      stats.append(stat);
    }

    const referrals = el('div', { class: 'referrals' });
    referrals.append(el('p', { class: 'heading', id: 'rd-referrals' }, 'Your referrals'));
    const list = el('ul', { part: 'referrals', class: 'list', 'aria-labelledby': 'rd-referrals' });
    const now = Date.now();
    for (const item of session.referrals.items.slice(0, 5)) {
      const li = el('li', { part: 'referral', class: 'referral' });
      li.append(el('span', { class: 'name', dir: 'auto' }, item.name || 'Someone'));
      const qualified = item.status === 'qualified';
      li.append(el('span', { part: 'status', class: qualified ? 'status qualified' : 'status pending' }, qualified ? 'Qualified' : 'Pending'));
      if (item.joined_at) {
        const at = Date.parse(item.joined_at);
        const days = Math.trunc((at - now) / 86_400_000);
        li.append(el('time', { class: 'date', datetime: new Date(at).toISOString(), title: dates.format(at) }, relative.format(days, 'day')));
      }
      list.append(li);
    }
    referrals.append(list);
    if (session.referrals.items.length > 5 || session.referrals.next) {
      referrals.append(el('button', { part: 'more-button', type: 'button', class: 'secondary', 'aria-busy': 'false' }, 'Show more'));
    }
    card.append(top, stats, referrals);
    return wrapper;
  }
}

customElements.define('vanilla-dashboard', VanillaDashboard);

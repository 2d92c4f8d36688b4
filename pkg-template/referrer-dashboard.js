// Entry module of the referrer-dashboard package: importing it defines <referrer-dashboard>
// (once per page; a second import is harmless).
import init, { create } from './referrer_dashboard.js';
import { define } from './element.js';

let ready;
/** Instantiates the wasm once per page, however many elements ask. */
const load = () => (ready ??= init().then(() => ({ create })));

export const ReferrerDashboard = define(load);
export default ReferrerDashboard;

'use client';
// `referrer-dashboard/react`: <referrer-dashboard> as a React component, server-rendered or not
// (tested with React 19; it uses nothing React 18 lacks: forwardRef, refs and effects).
//
// Why a wrapper, when React 19 sets properties on custom elements and listens to `on<event>`
// props: it does so when it creates an element, not when it hydrates one the server rendered
// (React issue 35446), so on a server-rendered page `getAuthToken` stays unset and the `onrd-*`
// listeners are never added. This component renders the attributes (so the server's HTML has
// them), sets the properties and adds the listeners in effects (which run after hydration and
// after a client render alike), and renders `defer-hydration` so that the element sends nothing
// before the effects ran: the last of them removes it, which starts the element (the defer-
// hydration protocol, see `element.js`). Nothing here runs on the server but the render.
import { createElement, forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import './referrer-dashboard.js';

// surface:react (generated from src/surface.rs by `cargo xtask surface`)
/** The element's attributes by prop name. */
const ATTRIBUTES = { endpoint: 'endpoint', credentials: 'credentials', theme: 'theme', locale: 'locale', pageSize: 'page-size', channels: 'channels', demo: 'demo', loading: 'loading', sections: 'sections', tokenUrl: 'token-url' };
const BOOLEAN = new Set(['demo']);
/** The element's events by prop name. */
const EVENTS = { onRdLoad: 'rd-load', onRdCopy: 'rd-copy', onRdShare: 'rd-share', onRdError: 'rd-error' };
// /surface:react
/** Props set as properties, not rendered. */
const PROPERTIES = new Set(['getAuthToken', 'strings']);

/**
 * `<ReferrerDashboard endpoint="/api/referral-dashboard" tokenUrl="/auth/dashboard-token" />`:
 * the element's attributes as camelCase props, `getAuthToken` and `strings`, `onRdLoad`,
 * `onRdCopy`, `onRdShare` and `onRdError`, and any other HTML prop (`id`, `className`, `style`…).
 * Its ref is the element.
 */
export const ReferrerDashboard = forwardRef(function ReferrerDashboard(props, ref) {
  const element = useRef(null);
  useImperativeHandle(ref, () => element.current, []);
  const { getAuthToken = null, strings } = props;

  // The latest handlers, read when an event fires: the listeners are added once.
  const handlers = useRef(props);
  useEffect(() => {
    handlers.current = props;
  });
  useEffect(() => {
    const target = element.current;
    const listeners = Object.entries(EVENTS).map(([prop, type]) => [type, (event) => handlers.current[prop]?.(event)]);
    for (const [type, listener] of listeners) target.addEventListener(type, listener);
    return () => {
      for (const [type, listener] of listeners) target.removeEventListener(type, listener);
    };
  }, []);
  useEffect(() => {
    element.current.getAuthToken = getAuthToken;
  }, [getAuthToken]);
  useEffect(() => {
    if (strings !== undefined) element.current.strings = strings;
  }, [strings]);
  // Last: everything above is in place, the element may start.
  useEffect(() => {
    element.current.removeAttribute('defer-hydration');
  }, []);

  const rendered = { ref: element, 'defer-hydration': '' };
  for (const [name, value] of Object.entries(props)) {
    if (Object.hasOwn(ATTRIBUTES, name)) {
      // `true` or absent: React 19 sets a boolean as a property (`el.demo = true`) once the
      // element is defined and renders it as `demo=""` on the server.
      if (BOOLEAN.has(name)) rendered[ATTRIBUTES[name]] = value ? true : undefined;
      else if (value != null) rendered[ATTRIBUTES[name]] = String(value);
    } else if (!Object.hasOwn(EVENTS, name) && !PROPERTIES.has(name)) {
      rendered[name] = value;
    }
  }
  return createElement('referrer-dashboard', rendered);
});

export default ReferrerDashboard;

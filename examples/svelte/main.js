import { mount } from 'svelte';
import 'referrer-dashboard';
import App from './App.svelte';

mount(App, { target: document.getElementById('app') });

import { svelte } from '@sveltejs/vite-plugin-svelte';
import { example } from '../vite.base.js';

export default example('svelte', [svelte()]);

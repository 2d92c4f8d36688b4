import vue from '@vitejs/plugin-vue';
import { example } from '../vite.base.js';

export default example('vue', [
  vue({ template: { compilerOptions: { isCustomElement: (tag) => tag === 'referrer-dashboard' } } }),
]);

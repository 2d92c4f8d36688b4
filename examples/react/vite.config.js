import { example } from '../vite.base.js';

export default example('react');

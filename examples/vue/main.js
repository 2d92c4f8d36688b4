import { createApp } from 'vue';
import 'referrer-dashboard';
import App from './App.vue';

createApp(App).mount('#app');

// The example's Next.js settings: nothing the element needs (the package works with Next's
// defaults); the rest is what the example's own pages want.
/** @type {import('next').NextConfig} */
const config = {
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;

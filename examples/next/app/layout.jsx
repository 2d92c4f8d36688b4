import '../../examples.css';

export const metadata = {
  title: 'Next.js 16 example · referrer-dashboard',
};

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}

import {fileURLToPath} from 'node:url';
import {defineConfig} from 'vitest/config';

export default defineConfig({
	root: fileURLToPath(new URL('..', import.meta.url)),
	test: {
		include: ['test/**/*.test.{ts,tsx}'],
		environment: 'node',
		testTimeout: 20_000,
		hookTimeout: 60_000,
		// End-to-end tests drive tmux sessions and a real PostgreSQL server;
		// two workers keep a 2-core machine responsive.
		maxWorkers: 2,
	},
});

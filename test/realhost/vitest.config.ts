import {fileURLToPath} from 'node:url';
import {defineConfig} from 'vitest/config';

/*
 * The real-host test (npm run test:realhost): boots a Debian container and
 * upgrades it. Not part of `npm test`: it needs root, debootstrap and
 * systemd-nspawn, and takes minutes. One file at a time.
 */
export default defineConfig({
	root: fileURLToPath(new URL('../..', import.meta.url)),
	test: {
		include: ['test/realhost/**/*.realhost.ts'],
		environment: 'node',
		testTimeout: 30 * 60_000,
		hookTimeout: 30 * 60_000,
		maxWorkers: 1,
		fileParallelism: false,
	},
});

/**
 * The terminal's side of a test in ink-testing-library, as KeyStream is in
 * the wizard: what the test types goes to Ink one key per write, each once
 * the screen has settled after the one before (useKeysSettled), and keys a
 * screen intercepts (useKeyIntercept) never reach Ink.
 */
import {KeyFeed} from '../../source/ui/key-stream.ts';

export function feedKeys(stdin: {write: (data: string) => void}): (chunk: string) => void {
	const feed = new KeyFeed(key => stdin.write(key));
	const target = stdin as {intercept?: ((key: string) => boolean) | null};
	feed.intercept = target.intercept ?? null;
	Object.defineProperty(stdin, 'settled', {value: (changed?: boolean) => feed.settled(changed), configurable: true});
	Object.defineProperty(stdin, 'intercept', {get: () => feed.intercept, set: (take: KeyFeed['intercept']) => (feed.intercept = take), configurable: true});
	return chunk => feed.write(chunk);
}

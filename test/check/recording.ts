import type {Host} from '../../source/host/types.ts';

export type Call = {method: string; args: unknown[]};

/**
 * The host, with every call it gets written down: the check tests assert
 * that a read-only report calls nothing that changes the host.
 */
export function recording(host: Host): {host: Host; calls: Call[]} {
	const calls: Call[] = [];
	const proxy = new Proxy(host, {
		get(target, property, receiver) {
			const value = Reflect.get(target, property, receiver);
			if (typeof value !== 'function') return value;
			return (...args: unknown[]) => {
				calls.push({method: String(property), args});
				return value.apply(target, args);
			};
		},
	});
	return {host: proxy, calls};
}

/**
 * Output kept as bytes on its way from a command to the screen and the
 * transcript (source/host/local-host.ts, source/runtime/output.ts,
 * source/runtime/transcript.ts): one buffer that grows by doubling and is
 * kept from one use to the next, outside V8's heap, so a steady stream
 * allocates nothing once it has grown.
 */
export class GrowingBytes {
	buffer = Buffer.alloc(0);
	/** How many bytes of `buffer` are in use. */
	length = 0;

	/** @param least the size of the first buffer */
	constructor(private readonly least: number) {}

	/** Room for `more` bytes after those in use; returns where they go. */
	reserve(more: number): number {
		if (this.length + more > this.buffer.length) {
			const bigger = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, this.length + more, this.least));
			this.buffer.copy(bigger, 0, 0, this.length);
			this.buffer = bigger;
		}
		return this.length;
	}

	/** `bytes` from `from` on, after those in use. */
	append(bytes: Buffer, from = 0) {
		const at = this.reserve(bytes.length - from);
		this.length = at + bytes.copy(this.buffer, at, from);
	}

	/** The bytes in use, valid until the next change. */
	view(): Buffer {
		return this.buffer.subarray(0, this.length);
	}
}

/** How many lines `text` holds: one more than its newlines. */
export function countLines(text: string | Buffer): number {
	let count = 1;
	for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++;
	return count;
}

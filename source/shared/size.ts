/** Sizes as scenario files and the deployment file write them (`9.5G`). */

const SIZE_UNITS: Record<string, number> = {'': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4};

/** `9.5G` -> bytes; null when it is not a size. Binary units. */
export function parseSize(text: string): number | null {
	const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/i.exec(text.trim());
	if (!m) return null;
	return Math.floor(Number(m[1]) * SIZE_UNITS[m[2]!.toUpperCase()]!);
}


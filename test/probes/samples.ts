/**
 * Real output captured on Debian bookworm (see samples/README.md for the
 * commands), read as the probes would receive it.
 */
import {readFileSync} from 'node:fs';

/** The text of test/probes/samples/NAME, byte for byte. */
export const sample = (name: string): string => readFileSync(new URL(`samples/${name}`, import.meta.url), 'utf8');

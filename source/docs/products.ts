/** The documentation settings of every product the tool has. */
import type {Product} from '../products.ts';
import type {ProductDocs} from './generate.ts';
import {pmgDocs} from './pmg.ts';
import {vmmDocs} from './vmm.ts';

export const DOCS: Record<Product, ProductDocs> = {
	pmg: pmgDocs,
	vmm: vmmDocs,
};

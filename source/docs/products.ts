/** The documentation settings of every product the tool has. */
import type {Product} from '../products.ts';
import type {ProductDocs} from './generate.ts';
import {pmgDocs} from './pmg.ts';
import {vmmDocs} from './vmm.ts';
import {pmDocs} from './puremessage.ts';

/** A product without an entry has no generated docs yet (`upgrade-wizard docs` says so). */
export const DOCS: Partial<Record<Product, ProductDocs>> = {
	pmg: pmgDocs,
	vmm: vmmDocs,
	puremessage: pmDocs,
};

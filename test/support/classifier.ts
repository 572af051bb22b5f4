import { createClassifier, type Classifier } from '../../src/access/content/classify.js';
import { buildTaxonomy, EMPTY_TAXONOMY_ROWS } from '../../src/access/content/taxonomy-snapshot.js';

/** Classifies against an empty taxonomy: every record's content is its resource type (stores whose tests are not about content). */
export const typeOnlyClassifier: Classifier = createClassifier(buildTaxonomy(EMPTY_TAXONOMY_ROWS, 0), { autoRegister: false });

/**
 * The form strings are indexed and searched in (FHIR R4 §3.1.1.4.9: string search is case- and
 * accent-insensitive). Index and query go through the same function, so any over-folding only
 * widens matches, never loses one.
 */

/**
 * Letters that carry their "accent" in the letter itself (no NFD decomposition), ligatures, and
 * case pairs that lowercasing alone leaves apart (ß/SS, final ς/σ, Turkish dotless ı/I).
 */
const FOLDS = new Map<string, string>([
  ['ß', 'ss'],
  ['æ', 'ae'],
  ['œ', 'oe'],
  ['ĳ', 'ij'],
  ['ø', 'o'],
  ['ł', 'l'],
  ['đ', 'd'],
  ['ð', 'd'],
  ['ħ', 'h'],
  ['ŧ', 't'],
  ['þ', 'th'],
  ['ı', 'i'],
  ['ς', 'σ'],
  ['ﬀ', 'ff'],
  ['ﬁ', 'fi'],
  ['ﬂ', 'fl'],
  ['ﬃ', 'ffi'],
  ['ﬄ', 'ffl'],
  ['ﬅ', 'st'],
  ['ﬆ', 'st'],
]);
const FOLDABLE = new RegExp(`[${[...FOLDS.keys()].join('')}]`, 'g');
/**
 * Nonspacing marks are the accents (and Arabic/Hebrew vowel points). Spacing and enclosing marks
 * stay: they are mostly vowel signs of Indic scripts, not accents. Variation selectors are
 * nonspacing marks too, but they choose emoji presentation (❤️), so they stay.
 */
const ACCENTS = /(?![\uFE00-\uFE0F\u{E0100}-\u{E01EF}])\p{Mn}/gu;
const WHITESPACE_RUN = /\s+/g;

export function normalizeText(s: string): string {
  if (isAlreadyNormal(s)) return s;
  // Lowercase before decomposing: some lowercase forms bring their own accent (İ → i + U+0307).
  const folded = s
    .toLowerCase()
    .normalize('NFD')
    .replace(ACCENTS, '')
    .replace(FOLDABLE, (c) => FOLDS.get(c) ?? c)
    .replace(WHITESPACE_RUN, ' ')
    .trim();
  // Recompose what is left (Hangul syllables, Indic clusters) so equal text has one encoding.
  return folded.normalize('NFC');
}

/** Printable ASCII without capitals, single inner spaces only: the common case, returned as is. */
function isAlreadyNormal(s: string): boolean {
  let previous = 0x20; // so that a leading space counts as a run
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 ? previous === 0x20 : c < 0x21 || c > 0x7e || (c >= 0x41 && c <= 0x5a)) return false;
    previous = c;
  }
  return previous !== 0x20;
}

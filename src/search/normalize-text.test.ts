import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeText } from './normalize-text.js';

function expect(cases: ReadonlyArray<readonly [string, string]>): void {
  for (const [input, expected] of cases) assert.equal(normalizeText(input), expected, JSON.stringify(input));
}

test('case and accents fold away', () => {
  expect([
    ['Müller', 'muller'],
    ['Mu\u0308ller', 'muller'], // decomposed input, same result
    ['ÉLODIE', 'elodie'],
    ['François Noël', 'francois noel'],
    ['Ångström', 'angstrom'],
    ['José Peña', 'jose pena'],
    ['Dvořák', 'dvorak'],
  ]);
});

test('letters and ligatures without a decomposition fold by table', () => {
  expect([
    ['Straße', 'strasse'],
    ['STRAẞE', 'strasse'], // capital sharp s
    ['Æsir', 'aesir'],
    ['Œuvre', 'oeuvre'],
    ['Søren Kierkegaard', 'soren kierkegaard'],
    ['Łódź', 'lodz'],
    ['Đorđe', 'dorde'],
    ['Þórður', 'thordur'],
    ['ﬁnance', 'finance'],
  ]);
});

test('Turkish dotted and dotless i meet at i', () => {
  expect([
    ['İstanbul', 'istanbul'],
    ['ISTANBUL', 'istanbul'],
    ['ıstanbul', 'istanbul'],
  ]);
});

test('whitespace runs collapse to one space, ends trimmed', () => {
  expect([
    ['  a   b ', 'a b'],
    ['a\t\n b', 'a b'],
    ['a\u00a0b\u3000c', 'a b c'], // no-break and ideographic spaces
    ['   ', ''],
    ['', ''],
  ]);
});

test('Greek and Cyrillic stay letters, lowercased, accents and final sigma folded', () => {
  expect([
    ['ΟΔΥΣΣΕΥΣ', 'οδυσσευσ'],
    ['Ὀδυσσεύς', 'οδυσσευσ'],
    ['Ελένη', 'ελενη'],
    ['МОСКВА', 'москва'],
    ['Ёжик', 'ежик'],
  ]);
});

test('other scripts and emoji are left alone', () => {
  expect([
    ['東京', '東京'],
    ['한국어', '한국어'], // NFD splits Hangul into jamo; the result is recomposed
    ['😀 smile', '😀 smile'],
    ['❤️', '❤️'], // U+2764 U+FE0F: the variation selector stays
    ['👍🏽', '👍🏽'],
    ['👨‍👩‍👧', '👨‍👩‍👧'],
  ]);
});

test('plain lowercase ASCII comes back unchanged', () => {
  for (const s of ['smith', 'o\'brien-jones 2nd', 'a b c', '12 main st.']) assert.equal(normalizeText(s), s);
  expect([
    ['Smith', 'smith'],
    [' smith', 'smith'],
    ['smith ', 'smith'],
    ['a  b', 'a b'],
  ]);
});

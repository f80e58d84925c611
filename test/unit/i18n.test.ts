import { describe, expect, it } from 'vitest';
import { type MessageKey, messages } from '../../src/i18n/messages.js';
import { DEFAULT_LOCALE, localeFromAcceptLanguage, localeOf, translate } from '../../src/i18n/translate.js';

describe('localeFromAcceptLanguage', () => {
  it.each<[string | null | undefined, 'fr' | 'en']>([
    ['en', 'en'],
    ['fr', 'fr'],
    ['EN', 'en'],
    ['fr-FR', 'fr'],
    ['fr-CA', 'fr'],
    ['en-GB', 'en'],
    ['de', 'fr'],
    ['de, en;q=0.5', 'en'],
    ['de-DE,de;q=0.9,en;q=0.8', 'en'],
    ['en;q=0, fr', 'fr'],
    ['en;q=0', 'fr'],
    ['en-US,en;q=0.9', 'en'],
    ['en-GB,en;q=0.9,fr;q=0.5', 'en'],
    ['fr;q=0.4, en;q=0.6', 'en'],
    ['en;q=0.4, fr;q=0.6', 'fr'],
    ['en;q=0.5, fr;q=0.5', 'en'], // equal weights: the first listed wins
    ['fr;q=0.5, en;q=0.5', 'fr'],
    ['*', 'fr'],
    ['*, en;q=0.1', 'en'],
    ['en;level=1;q=0.7, fr;q=0.6', 'en'],
    ['de, en ;q=0.5', 'en'], // RFC 9110: optional whitespace is allowed before ";"
    ['en;Q=0.1, fr;q=0.5', 'fr'], // RFC 9110: the "q" parameter name is case-insensitive
    [null, 'fr'],
    [undefined, 'fr'],
    ['', 'fr'],
    ['   ', 'fr'],
    [',,,', 'fr'],
    [';;;', 'fr'],
    ['en;q=abc', 'fr'],
    ['en;q=-1', 'fr'],
    ['english', 'fr'],
    ['français', 'fr'],
    ['🇬🇧', 'fr'],
  ])('%j -> %s', (header, locale) => {
    expect(localeFromAcceptLanguage(header)).toBe(locale);
  });

  it('defaults to French', () => {
    expect(DEFAULT_LOCALE).toBe('fr');
  });
});

describe('translate', () => {
  it.each<['fr' | 'en', MessageKey, Record<string, string | number>, string]>([
    ['fr', 'error.notFound', { entity: 'entity.session' }, 'Séance introuvable.'],
    ['en', 'error.notFound', { entity: 'entity.session' }, 'Session not found.'],
    ['fr', 'error.notFound', { entity: 'entity.beneficiary' }, 'Bénéficiaire introuvable.'],
    ['en', 'error.notFound', { entity: 'entity.organization' }, 'Organization not found.'],
    ['fr', 'validation.password.tooShort', { min: 8 }, 'Le mot de passe doit contenir au moins 8 caractères.'],
    ['en', 'validation.password.tooShort', { min: 8 }, 'The password must be at least 8 characters long.'],
    ['en', 'validation.tooLarge', { max: 10_000 }, 'The value cannot exceed 10000.'],
    ['fr', 'validation.sessionTooLong', { hours: 24 }, 'Une séance ne peut pas durer plus de 24 heures.'],
    ['en', 'validation.sessionTooLong', { hours: 24 }, 'A session cannot last more than 24 hours.'],
    ['en', 'error.notFound', { entity: 'Widget' }, 'Widget not found.'], // a plain string is used as is
    ['en', 'validation.email', {}, 'The email address is not valid.'],
    ['fr', 'validation.email', { unused: 'x' }, "L'adresse e-mail n'est pas valide."],
    ['en', 'validation.tooLong', {}, 'This field cannot be longer than {max} characters.'], // a missing param stays visible
  ])('%s %s %j -> %j', (locale, key, params, text) => {
    expect(translate(locale, key, params)).toBe(text);
  });

  it('translates with no params at all', () => {
    expect(translate('fr', 'error.unauthenticated')).toBe('Vous devez être connecté pour faire cela.');
    expect(translate('en', 'error.unauthenticated')).toBe('You must be logged in to do this.');
  });

  it('fills every entity name in the language of the message', () => {
    const entities = (Object.keys(messages.fr) as MessageKey[]).filter((key) => key.startsWith('entity.'));
    expect(entities.length).toBeGreaterThan(0);
    for (const entity of entities) {
      expect(translate('fr', 'error.notFound', { entity })).toBe(`${messages.fr[entity]} introuvable.`);
      expect(translate('en', 'error.notFound', { entity })).toBe(`${messages.en[entity]} not found.`);
    }
  });
});

describe('messages', () => {
  const frKeys = Object.keys(messages.fr).sort();
  const enKeys = Object.keys(messages.en).sort();
  const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

  it('has exactly the same keys in French and English', () => {
    expect(enKeys).toEqual(frKeys);
    expect(frKeys.length).toBeGreaterThan(0);
  });

  it.each(frKeys as MessageKey[])('%s has a non-empty text in both languages, with the same placeholders', (key) => {
    const fr = messages.fr[key];
    const en = messages.en[key];
    expect(fr.trim()).not.toBe('');
    expect(en.trim()).not.toBe('');
    expect(placeholders(en)).toEqual(placeholders(fr));
  });

  it('really translates: only words that are the same in both languages are left identical', () => {
    const identical = frKeys.filter((key) => messages.fr[key as MessageKey] === messages.en[key as MessageKey]);
    expect(identical).toEqual(['entity.coach']);
  });
});

describe('localeOf: the one rule for HTTP and graphql-ws', () => {
  const request = (value?: string) => ({ headers: new Headers(value === undefined ? {} : { 'accept-language': value }) });
  const incoming = (value?: string) => ({ headers: value === undefined ? {} : { 'accept-language': value } });
  it.each<[string, Parameters<typeof localeOf>[0], 'fr' | 'en']>([
    ['nothing', {}, 'fr'],
    ['an HTTP header', { request: request('en') }, 'en'],
    ['connectionParams.acceptLanguage', { connectionParams: { acceptLanguage: 'en' }, incoming: incoming() }, 'en'],
    ['connectionParams["accept-language"]', { connectionParams: { 'accept-language': 'en-GB' }, incoming: incoming() }, 'en'],
    ['connectionParams over the upgrade header', { connectionParams: { acceptLanguage: 'en' }, incoming: incoming('fr') }, 'en'],
    ['connectionParams asking French over an English header', { connectionParams: { acceptLanguage: 'fr' }, incoming: incoming('en') }, 'fr'],
    ['the upgrade header when connectionParams say nothing', { connectionParams: {}, incoming: incoming('en-US,en;q=0.9') }, 'en'],
    ['the upgrade header when connectionParams hold an empty or non-string value', { connectionParams: { acceptLanguage: ' ', 'accept-language': 3 }, incoming: incoming('en') }, 'en'],
    ['no connectionParams at all', { connectionParams: null, incoming: incoming('en') }, 'en'],
  ])('%s', (_label, source, locale) => {
    expect(localeOf(source)).toBe(locale);
  });
});

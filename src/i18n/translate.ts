import { type Locale, type MessageKey, type MessageParams, messages } from './messages.js';

export const DEFAULT_LOCALE: Locale = 'fr';

/** Picks fr or en from an Accept-Language header, by quality; French when neither is asked for. */
export function localeFromAcceptLanguage(header: string | null | undefined): Locale {
  if (!header) return DEFAULT_LOCALE;
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...rest] = part.trim().split(';');
      const q = rest.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='));
      return { lang: tag.trim().toLowerCase().split('-')[0], q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((entry) => entry.q > 0 && !Number.isNaN(entry.q))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { lang } of ranked) {
    if (lang === 'fr' || lang === 'en') return lang;
  }
  return DEFAULT_LOCALE;
}

/** Where a request's language can be read: an HTTP request, or a graphql-ws connection. */
export interface LocaleSource {
  /** The HTTP request (Fetch API), for queries and mutations over HTTP. */
  request?: { headers: { get(name: string): string | null } } | null;
  /** graphql-ws `connection_init` payload: `acceptLanguage` (or `accept-language`). */
  connectionParams?: Readonly<Record<string, unknown>> | null;
  /** Node's request: the WebSocket upgrade (its header counts when connectionParams name no language), or a route outside Yoga. */
  incoming?: { headers: Readonly<Record<string, string | string[] | undefined>> } | null;
}

/**
 * The one rule for a request's language, over HTTP and over graphql-ws alike: graphql-ws's
 * `connectionParams.acceptLanguage` (or `accept-language`) first, else the `Accept-Language`
 * header of the HTTP request or of the WebSocket upgrade; French when none asks for fr or en.
 */
export function localeOf(source: LocaleSource): Locale {
  const params = source.connectionParams;
  const fromParams = params ? (params.acceptLanguage ?? params['accept-language']) : undefined;
  if (typeof fromParams === 'string' && fromParams.trim() !== '') return localeFromAcceptLanguage(fromParams);
  const header = source.request?.headers.get('accept-language') ?? source.incoming?.headers['accept-language'];
  return localeFromAcceptLanguage(typeof header === 'string' ? header : null);
}

export function translate(locale: Locale, key: MessageKey, params: MessageParams = {}): string {
  const template = messages[locale][key] ?? messages[DEFAULT_LOCALE][key];
  return template.replace(/\{(\w+)\}/g, (match, name: string) => {
    const value = params[name];
    if (value === undefined) return match;
    // Entity names are themselves message keys, translated in the same language.
    return typeof value === 'string' && Object.hasOwn(messages[locale], value)
      ? messages[locale][value as MessageKey]
      : String(value);
  });
}

// Relay connections (API.md: "cursor connections for lists"). Every connection has `totalCount`,
// counted only when a client selects it, with the filters of the page. Built with the Prisma
// plugin's own support: `totalCount: true` on `relatedConnection` folds the count into the parent's
// query (`_count`), a function on `prismaConnection` runs one COUNT beside the page.

/** Page size when `first` is not given, and its upper bound, for lists that grow without bound. */
export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 200;

/**
 * Options of a connection's `totalCount` field, to describe it. The plugin's marker extension keeps
 * the count folded into the page's query, and skips the page itself when only the count is asked.
 */
export function totalCountField(description: string) {
  return {
    description,
    extensions: { pothosPrismaTotalCount: true },
    resolve: (connection: object): number | Promise<number> => {
      // A number (relatedConnection) or a callback (prismaConnection), both from the plugin.
      const count = (connection as { totalCount: number | (() => number | Promise<number>) }).totalCount;
      return typeof count === 'function' ? count() : count;
    },
  };
}

/** The deprecation of a list that grows without bound, in favour of its connection. */
export function useConnection(connectionField: string): string {
  return `Use ${connectionField}: this list has no bound, the connection is paged and has totalCount.`;
}

/** The SQL that builds schema.prisma from an empty database (Prisma 6.19, WebAssembly engine). */
export declare function schemaSql(): string;

import type { CodegenConfig } from '@graphql-codegen/cli';
import { printSchema } from 'graphql';
import { schema } from './src/schema/index.js';

// `npm run codegen` prints schema.graphql (committed: the contract as served) and the typed
// documents of the tests' operations (test/gql, generated). `npm test` regenerates only the latter,
// so that the schema test still catches a schema.graphql that was not regenerated.
const documentsOnly = process.env.CODEGEN_DOCUMENTS_ONLY === '1';

const config: CodegenConfig = {
  schema: printSchema(schema),
  documents: ['test/**/*.ts', '!test/gql/**'],
  ignoreNoDocuments: true,
  generates: {
    ...(documentsOnly ? {} : { 'schema.graphql': { plugins: ['schema-ast'], config: { includeDirectives: false } } }),
    'test/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        emitLegacyCommonJSImports: false,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', Date: 'string', EmailAddress: 'string', ID: 'string' },
      },
    },
  },
};

export default config;

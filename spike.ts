import { schema } from './src/schema/index.js';
import { undocumented } from './test/support/schema-walk.js';
console.log(undocumented(schema).join('\n'));

import type { InputFieldMap, InputShapeFromFields, ObjectRef } from '@pothos/core';
import type { Context } from '../../context.js';
import type { AuthScopes } from '../builder.js';
import { builder, capitalize } from '../builder.js';
import { COMMON_ERRORS } from './errors.js';
import { checkInputBounds } from './input-bounds.js';

export type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
type ErrorClass = new (...args: never[]) => Error;

interface MutationDefinition<Input extends InputFieldMap, Success extends object> {
  description: string;
  /** Required: every root field states who may call it (the scope test checks this). */
  authScopes: Partial<AuthScopes>;
  /** Omitted for a mutation that needs nothing but the login (e.g. `exportMyData`): it then takes no argument. */
  input?: (t: PothosSchemaTypes.InputFieldBuilder<Types, 'InputObject'>) => Input;
  success: {
    description: string;
    fields: (t: PothosSchemaTypes.ObjectFieldBuilder<Types, Success>) => Record<string, unknown>;
  };
  /** Business errors beyond the common ones (unauthenticated, forbidden, validation, not found). */
  errors?: ErrorClass[];
  /**
   * Further success members of the result union (`bookSession` answers `BookSessionWaitlisted`
   * on a full session when asked to): the resolver returns them branded with their type
   * (`brandWithType`), so the union tells them from `<Name>Success`.
   */
  otherSuccesses?: ObjectRef<Types, unknown>[];
  resolve: (input: InputShapeFromFields<Input>, context: Context) => Promise<Success>;
  /**
   * Cost against the per-request complexity limit (default 1). Mutations that hash a password cost
   * so much that one request cannot alias more than a handful of them.
   */
  complexity?: number;
}

/**
 * Declares a mutation the way API.md wants every one of them: one argument `input: <Name>Input!`,
 * and a result union `<Name>Result` of `<Name>Success` (fields directly on it) and error types.
 */
export function defineMutation<Input extends InputFieldMap, Success extends object>(
  name: string,
  definition: MutationDefinition<Input, Success>,
): void {
  const typeName = capitalize(name);
  const inputFields = definition.input;
  // GraphQL has no empty input types: without fields, the mutation takes no argument at all.
  const InputType = inputFields
    ? builder.inputType(`${typeName}Input`, { description: `Input of the \`${name}\` mutation.`, fields: inputFields })
    : null;
  const SuccessType = builder.objectRef<Success>(`${typeName}Success`).implement({
    description: definition.success.description,
    // Pothos' field-map typing cannot follow a generic Shape through this helper.
    fields: definition.success.fields as never,
  });
  builder.mutationField(name, (t) =>
    t.field({
      type: SuccessType,
      description: definition.description,
      authScopes: definition.authScopes,
      skipTypeScopes: true,
      ...(definition.complexity ? { complexity: definition.complexity } : {}),
      errors: {
        types: [...COMMON_ERRORS, ...(definition.errors ?? [])],
        union: {
          name: `${typeName}Result`,
          description: `Result of \`${name}\`: \`${typeName}Success\`${(definition.otherSuccesses ?? []).map((ref) => `, \`${ref.name}\``).join('')} or an error.`,
          // The plugin's own member list, plus the other successes (its resolveType still tells
          // errors from the success; branded results are resolved before it is asked).
          ...(definition.otherSuccesses?.length
            ? { types: [...COMMON_ERRORS, ...(definition.errors ?? []), SuccessType, ...definition.otherSuccesses] as never }
            : {}),
        },
      },
      args: InputType ? { input: t.arg({ type: InputType, required: true, description: `See \`${typeName}Input\`.` }) } : {},
      resolve: (_root, args, context, info) => {
        const input = (args as unknown as { input?: InputShapeFromFields<Input> }).input;
        // The safety net (control characters, hard length and list bounds) before any use case
        // decodes an ID or reads a row; meaningful bounds are the domain validators' job.
        const inputArgument = info.parentType.getFields()[info.fieldName]?.args.find((arg) => arg.name === 'input');
        if (input !== undefined && inputArgument) checkInputBounds(input, inputArgument.type);
        return definition.resolve((input ?? {}) as InputShapeFromFields<Input>, context) as never;
      },
    }),
  );
}
